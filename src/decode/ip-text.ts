// Address formatting for events (not on the per-packet path): dotted quad, and RFC 5952 IPv6.
export function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952 §4: lower case, leading zeros dropped, the longest run (≥2) of zero groups as "::". */
export function ipv6Text(raw: string): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((raw.charCodeAt(i) << 8) | raw.charCodeAt(i + 1));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted tail.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) {
    return `::ffff:${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** "ip:port" as events write it (IPv6 as "[addr]:port"). */
export function endpointText(version: number, ip4: number, ip6: string, port: number): string {
  return version === 4 ? `${ipv4Text(ip4)}:${port}` : `[${ipv6Text(ip6)}]:${port}`;
}
