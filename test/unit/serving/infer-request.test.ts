import { flatData, readInferRequest } from '../../../src/rest/inference-protocol/infer-request';

describe('Open Inference Protocol request data', () => {
  it('flattens nested data row-major, as Array.prototype.flat(Infinity) does', () => {
    const cases: unknown[][] = [
      [],
      [1, 2, 3],
      [
        [1, 2],
        [3, 4],
      ],
      [
        [[1], [2]],
        [[3], [null]],
      ],
      [1, [2, [3, [4, [5]]]], 'a', [[]], [null, [false]]],
    ];
    for (const data of cases) expect(flatData(data)).toEqual(data.flat(Infinity));
  });

  it('keeps a flat list as it is (no copy)', () => {
    const data = [1, 2, 3];
    expect(flatData(data)).toBe(data);
  });

  it('reads a [n, features] tensor given as rows into its flat data', () => {
    const rows = Array.from({ length: 100 }, (_, r) => Array.from({ length: 30 }, (_, c) => r * 30 + c));
    const request = readInferRequest({ inputs: [{ name: 'input-0', shape: [100, 30], datatype: 'FP64', data: rows }] });
    expect(request.inputs[0].data).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});
