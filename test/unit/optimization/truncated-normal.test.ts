import { erfc, logErfc, logNormalMass } from '../../../src/domain/optimization/truncated-normal';

/*
 * Reference values from mpmath at 50 digits (python):
 *   from mpmath import mp, mpf, erfc, ncdf, log; mp.dps = 50
 *   float(erfc(mpf(x))), float(log(erfc(mpf(x)))), float(log(ncdf(mpf(b)) - ncdf(mpf(a))))
 */
const ERFC: Array<[number, number, number]> = [
  [-1, 1.8427007929497148, 0.6112323176780705],
  [0.5, 0.4795001221869535, -0.7350111298370844],
  [1.9, 0.0072095707647425325, -4.932345862780269],
  [2, 0.004677734981047266, -5.364941264616638],
  [2.5, 0.0004069520174449589, -7.806815272727264],
  [6, 2.1519736712498913e-17, -38.37756117322339],
  [30, 0, -903.9741171106439],
];

const LOG_MASS: Array<[number, number, number]> = [
  [-1, 1, -0.38171514630212605],
  [-40, -39.5, -784.720879106624],
  [39.5, 40, -784.720879106624],
  [-0.2, 30, -0.5460043537227741],
  [2, 2.5, -4.101945378031025],
  [0, 1e-3, -7.8266939788534655],
  [-1e-9, 1e-9, -20.949057189591137],
];

describe('erfc', () => {
  it.each(ERFC)('erfc(%p) matches mpmath to 1e-13 relative', (x, expected, expectedLog) => {
    if (expected === 0) expect(erfc(x)).toBeLessThan(1e-300);
    else expect(Math.abs(erfc(x) / expected - 1)).toBeLessThan(1e-13);
    expect(Math.abs(logErfc(x) - expectedLog)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expectedLog)));
  });
});

describe('logNormalMass', () => {
  it.each(LOG_MASS)('log P(%p <= Z <= %p) matches mpmath, tails and tiny intervals included', (a, b, expected) => {
    expect(Math.abs(logNormalMass(a, b) - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
  });
});
