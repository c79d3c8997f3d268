// Distinguished names compared the way directories compare them: attribute names and values
// case-insensitively, spaces around the separators ignored, and an escaped character the same
// whichever way it is escaped (AD writes "\,", OpenLDAP "\2C"), so a comma inside a value stays
// part of that value.

const SPECIAL = /[,+="\\<>;#]/g;

/** One RDN value with its escapes read: "\2C" and "\," both become ",". */
function unescapeValue(value: string): string {
  let result = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char !== '\\' || i + 1 >= value.length) {
      result += char;
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      // Hex escapes may spell a multi-byte UTF-8 character over several pairs.
      const bytes: number[] = [];
      while (value[i] === '\\' && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
        bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
        i += 3;
      }
      i -= 1;
      result += Buffer.from(bytes).toString('utf8');
    } else {
      result += value[i + 1];
      i++;
    }
  }
  return result;
}

/** The RDNs of a DN, split on the separators that are not escaped. */
function splitRdns(dn: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const char = dn[i]!;
    if (char === '\\' && i + 1 < dn.length) {
      current += char + dn[i + 1];
      i++;
    } else if (char === ',' || char === ';') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/** A DN in one canonical spelling, for equality only (never sent to a server). */
export function normalizeDn(dn: string): string {
  return splitRdns(dn)
    .map((rdn) => {
      const at = rdn.indexOf('=');
      if (at < 0) return rdn.trim().toLowerCase();
      const value = unescapeValue(rdn.slice(at + 1).trim()).toLowerCase();
      return `${rdn.slice(0, at).trim().toLowerCase()}=${value.replace(SPECIAL, (c) => `\\${c}`)}`;
    })
    .join(',');
}
