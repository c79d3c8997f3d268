// Active Directory's account states, in words for the admin: the userAccountControl bits that
// stop a login, and the "data NNN" sub-code AD writes into a failed bind's diagnostic message.
// Users never see these (they get the same answer as for a wrong password); the server log and
// `shopdb ldap test` do.

/** userAccountControl bits that matter for a login (MS-ADTS 2.2.16). */
export const ACCOUNT_FLAGS = {
  ACCOUNTDISABLE: 0x2,
  LOCKOUT: 0x10,
  PASSWORD_EXPIRED: 0x800000,
  DONT_EXPIRE_PASSWORD: 0x10000,
} as const;

export interface AccountFlags {
  disabled: boolean;
  lockedOut: boolean;
  passwordExpired: boolean;
  passwordNeverExpires: boolean;
}

/** null when the entry has no userAccountControl (OpenLDAP). */
export function decodeAccountControl(value: string | number | undefined | null): AccountFlags | null {
  if (value === undefined || value === null || value === '') return null;
  const bits = Number(value);
  if (!Number.isInteger(bits)) return null;
  return {
    disabled: (bits & ACCOUNT_FLAGS.ACCOUNTDISABLE) !== 0,
    lockedOut: (bits & ACCOUNT_FLAGS.LOCKOUT) !== 0,
    passwordExpired: (bits & ACCOUNT_FLAGS.PASSWORD_EXPIRED) !== 0,
    passwordNeverExpires: (bits & ACCOUNT_FLAGS.DONT_EXPIRE_PASSWORD) !== 0,
  };
}

/** Why the account cannot log in whatever the password, or null when its flags allow it. */
export function blockingAccountState(flags: AccountFlags | null): string | null {
  if (flags === null) return null;
  if (flags.disabled) return 'the account is disabled in the directory (userAccountControl 0x2)';
  if (flags.lockedOut) return 'the account is locked out (userAccountControl 0x10)';
  if (flags.passwordExpired) return 'the password has expired (userAccountControl 0x800000)';
  return null;
}

/** AD's bind sub-codes (the "data NNN" of an invalidCredentials diagnostic). */
export const BIND_SUBCODES: Record<string, string> = {
  '525': 'no such user',
  '52e': 'wrong password',
  '530': 'not permitted to log on at this time (logon hours)',
  '531': 'not permitted to log on from this workstation',
  '532': 'the password has expired',
  '533': 'the account is disabled',
  '701': 'the account has expired',
  '773': 'the user must change their password before logging on',
  '775': 'the account is locked out',
};

export interface BindFailure {
  /** The sub-code as AD writes it (lowercase hex), or null when the server gave none (OpenLDAP). */
  subCode: string | null;
  /** The sub-code in words, or a plain reading of the result code. */
  reason: string;
}

/** Reads AD's sub-code out of a bind error's message ("… AcceptSecurityContext error, data 52e, v4563"). */
export function decodeBindFailure(message: string): BindFailure {
  const match = /\bdata ([0-9a-f]{3,8})\b/i.exec(message);
  const subCode = match ? match[1]!.toLowerCase() : null;
  if (subCode !== null && BIND_SUBCODES[subCode]) return { subCode, reason: BIND_SUBCODES[subCode] };
  return { subCode, reason: subCode !== null ? `directory sub-code ${subCode}` : 'wrong password (or no such user)' };
}

/**
 * AD stores times as 100-ns intervals since 1601-01-01 (pwdLastSet), and durations as negative
 * 100-ns counts (maxPwdAge). 0 means "never set" / "must change"; the largest value means never.
 */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;
export function fileTimeToDate(value: string | undefined): Date | null {
  if (value === undefined || !/^\d+$/.test(value) || value === '0' || value === '9223372036854775807') return null;
  return new Date(Number(BigInt(value) / 10_000n - FILETIME_EPOCH_OFFSET_MS));
}

/** maxPwdAge as milliseconds, or null when passwords never expire. */
export function adDurationMs(value: string | undefined): number | null {
  if (value === undefined || !/^-?\d+$/.test(value)) return null;
  const ticks = BigInt(value);
  if (ticks === 0n || ticks === -9223372036854775808n) return null;
  return Number((ticks < 0n ? -ticks : ticks) / 10_000n);
}
