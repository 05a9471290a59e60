/**
 * Category counts of two categorical samples over the union of their categories, the common
 * input of the chi-squared test, the Jensen-Shannon distance and categorical PSI. Categories are
 * matched by name, since a reference and a window each number their categories in their own
 * order of first appearance. Missing values (code -1) are dropped, as Evidently drops NaN.
 */

/** A categorical sample: category names and one code per row (-1 = missing). */
export interface CategoricalSample {
  categories: readonly string[];
  codes: ArrayLike<number>;
}

/** Counts per category of the union, reference categories first. */
export interface CategoryFrequencies {
  categories: string[];
  reference: Float64Array;
  current: Float64Array;
  referenceTotal: number;
  currentTotal: number;
}

function countCodes(sample: CategoricalSample, slotOfCode: Int32Array, counts: Float64Array): number {
  let total = 0;
  for (let i = 0; i < sample.codes.length; i++) {
    const code = sample.codes[i];
    if (code < 0) continue;
    counts[slotOfCode[code]]++;
    total++;
  }
  return total;
}

/** Counts both samples over the union of their category names. */
export function categoryFrequencies(reference: CategoricalSample, current: CategoricalSample): CategoryFrequencies {
  const slotOfName = new Map<string, number>();
  const categories: string[] = [];
  const slotsOf = (sample: CategoricalSample): Int32Array =>
    Int32Array.from(sample.categories, (name) => {
      let slot = slotOfName.get(name);
      if (slot === undefined) {
        slot = categories.length;
        slotOfName.set(name, slot);
        categories.push(name);
      }
      return slot;
    });
  const referenceSlots = slotsOf(reference);
  const currentSlots = slotsOf(current);
  const referenceCounts = new Float64Array(categories.length);
  const currentCounts = new Float64Array(categories.length);
  const referenceTotal = countCodes(reference, referenceSlots, referenceCounts);
  const currentTotal = countCodes(current, currentSlots, currentCounts);
  // A category listed by a sample but never observed is not part of the union Evidently builds.
  const observed = categories.map((_, k) => referenceCounts[k] > 0 || currentCounts[k] > 0);
  return {
    categories: categories.filter((_, k) => observed[k]),
    reference: referenceCounts.filter((_, k) => observed[k]),
    current: currentCounts.filter((_, k) => observed[k]),
    referenceTotal,
    currentTotal,
  };
}
