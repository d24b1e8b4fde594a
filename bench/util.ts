/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Prints one aligned figure. */
export function row(label: string, value: string): void {
  console.log(`  ${label.padEnd(72)} ${value}`);
}
