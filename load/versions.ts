import type { LoadTlsVersion } from '../core/load-result.js';

/** The share of handshakes per TLS version (`--tls both`), summing to 1. */
export type VersionShare = Readonly<Record<LoadTlsVersion, number>>;

/** `--tls both` without `--tls-share`: half and half. */
export const EVEN_SHARE: VersionShare = { '1.2': 0.5, '1.3': 0.5 };

/**
 * Parses `--tls-share 1.2=30,1.3=70`: a percentage per version, both versions named, each above 0, summing to 100.
 * Returns the shares (0..1), or an Error naming the item at fault.
 */
export function parseVersionShare(text: string): VersionShare | Error {
  const seen: Partial<Record<LoadTlsVersion, number>> = {};
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const m = /^(1\.2|1\.3)=(\d+(?:\.\d+)?)%?$/.exec(item);
    if (!m) return new Error(`'${item}': expected 1.2=PERCENT or 1.3=PERCENT`);
    const version = m[1] as LoadTlsVersion;
    if (seen[version] !== undefined) return new Error(`TLS ${version} is named twice`);
    seen[version] = Number(m[2]);
  }
  const a = seen['1.2'];
  const b = seen['1.3'];
  if (a === undefined || b === undefined) return new Error('name both versions, e.g. 1.2=30,1.3=70');
  if (a <= 0 || b <= 0) return new Error('each version needs a share above 0 (for one version use --tls 1.2 or 1.3)');
  if (Math.abs(a + b - 100) > 1e-9) return new Error(`the shares add up to ${a + b}, not 100`);
  return { '1.2': a / 100, '1.3': b / 100 };
}

/**
 * Draws the version of each handshake so that every stretch of draws keeps the share (error diffusion, as the
 * resumption ratio of mode mixed: no randomness, and the counts per version are exact to one handshake).
 */
export class VersionPicker {
  private credit = 0;
  constructor(private readonly share13: number) {}
  next(): LoadTlsVersion {
    this.credit += this.share13;
    if (this.credit >= 1 - 1e-9) {
      this.credit -= 1;
      return '1.3';
    }
    return '1.2';
  }
}
