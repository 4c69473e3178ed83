/**
 * Time zone abbreviations people type for a time zone, and the IANA zones each may mean. An abbreviation
 * names an offset, or several places (CST is Chicago, Shanghai and Havana), never a zone's DST rules, and
 * ICU reads some of them as a zone with other rules: "EST" is America/Panama (no DST), "BST" Asia/Dhaka.
 * So they are refused with the zones that fit, for the person to choose. No library maps abbreviations to
 * zones (they are ambiguous by nature), hence this short table of the common ones; others are refused
 * with a general hint.
 */
const EASTERN = "America/New_York (US Eastern, with DST), America/Toronto";
const CENTRAL = "America/Chicago (US Central, with DST), America/Mexico_City, America/Regina (no DST)";
const MOUNTAIN =
  "America/Denver (US Mountain, with DST), America/Phoenix (Arizona, no DST), America/Edmonton";
const PACIFIC = "America/Los_Angeles (US Pacific, with DST), America/Vancouver";
const CENTRAL_EUROPE =
  "Europe/Berlin, Europe/Paris, Europe/Madrid, Europe/Rome or another Central European city";
const EASTERN_EUROPE = "Europe/Athens, Europe/Helsinki, Europe/Bucharest, Africa/Cairo";
const WESTERN_EUROPE = "Europe/Lisbon, Atlantic/Canary";
const AUSTRALIA_EAST = "Australia/Sydney, Australia/Melbourne (with DST), Australia/Brisbane (no DST)";
const AUSTRALIA_CENTRAL = "Australia/Adelaide (with DST), Australia/Darwin (no DST)";

export const ZONE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  EST: `${EASTERN}, or America/Panama (Eastern Standard Time all year)`,
  EDT: EASTERN,
  ET: EASTERN,
  CST: `${CENTRAL}; China Standard Time is Asia/Shanghai, Cuba's America/Havana`,
  CDT: CENTRAL,
  CT: CENTRAL,
  MST: MOUNTAIN,
  MDT: MOUNTAIN,
  MT: MOUNTAIN,
  PST: `${PACIFIC}; Philippine time is Asia/Manila`,
  PDT: PACIFIC,
  PT: PACIFIC,
  AKST: "America/Anchorage",
  AKDT: "America/Anchorage",
  HST: "Pacific/Honolulu",
  AST: "America/Halifax (Atlantic, with DST), America/Puerto_Rico (no DST), Asia/Riyadh (Arabia)",
  NST: "America/St_Johns",
  BST: "Europe/London (British Summer Time); Bangladesh is Asia/Dhaka",
  IST: "Asia/Kolkata (India), Europe/Dublin (Ireland), Asia/Jerusalem (Israel)",
  CET: CENTRAL_EUROPE,
  CEST: CENTRAL_EUROPE,
  MET: CENTRAL_EUROPE,
  MEZ: CENTRAL_EUROPE,
  EET: EASTERN_EUROPE,
  EEST: EASTERN_EUROPE,
  WET: WESTERN_EUROPE,
  WEST: WESTERN_EUROPE,
  MSK: "Europe/Moscow",
  JST: "Asia/Tokyo",
  KST: "Asia/Seoul",
  HKT: "Asia/Hong_Kong",
  SGT: "Asia/Singapore",
  PHT: "Asia/Manila",
  ICT: "Asia/Bangkok, Asia/Ho_Chi_Minh",
  WIB: "Asia/Jakarta",
  PKT: "Asia/Karachi",
  AEST: AUSTRALIA_EAST,
  AEDT: AUSTRALIA_EAST,
  ACST: AUSTRALIA_CENTRAL,
  ACDT: AUSTRALIA_CENTRAL,
  AWST: "Australia/Perth",
  NZST: "Pacific/Auckland",
  NZDT: "Pacific/Auckland",
  BRT: "America/Sao_Paulo",
  ART: "America/Argentina/Buenos_Aires",
  SAST: "Africa/Johannesburg",
  WAT: "Africa/Lagos",
  CAT: "Africa/Maputo, Africa/Harare",
  EAT: "Africa/Nairobi",
};

/** UTC and GMT are zones of their own, with no DST to get wrong. */
const FIXED = new Set(["UTC", "GMT", "UCT", "Z"]);

/**
 * The zones to suggest instead of `name` when it is an abbreviation (any case for the ones in the
 * table, all capitals for others, as abbreviations are written), else undefined.
 */
export function abbreviationHint(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (FIXED.has(upper)) return undefined;
  const known = ZONE_ABBREVIATIONS[upper];
  if (known !== undefined) return known;
  if (/^[A-Z]{2,5}$/.test(name)) return "an IANA name like Europe/Berlin or America/New_York";
  return undefined;
}
