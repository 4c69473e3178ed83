/**
 * What a write tool tells the model besides its result: how it read each date given in words (so the
 * model and the person see what was understood), and warnings about what was done but looks like a
 * mistake (a due date in the past, a default reminder that could not be set).
 */
import * as v from "valibot";
import { zonedIso } from "./dates.js";
import type { ReadDate } from "./natural-dates.js";

export const UnderstoodDateSchema = v.object({
  field: v.string(),
  input: v.pipe(v.string(), v.description("The text as given.")),
  resolved: v.pipe(
    v.string(),
    v.description("The date-time it was read as, ISO 8601 with the zone's offset."),
  ),
  time_zone: v.pipe(v.string(), v.description("The IANA zone it was read in.")),
});
export type UnderstoodDate = v.InferOutput<typeof UnderstoodDateSchema>;

/** Output fields a tool adds with `...noteFields`; each is left out when empty. */
export const noteFields = {
  understood: v.pipe(
    v.optional(v.array(UnderstoodDateSchema)),
    v.description("How dates given in words were read; check them against what the person meant."),
  ),
  warnings: v.pipe(
    v.optional(v.array(v.string())),
    v.description("Done, but worth telling the person: e.g. a due date in the past."),
  ),
};

export class CallNotes {
  readonly understood: UnderstoodDate[] = [];
  readonly warnings: string[] = [];

  /** Records a date read from words; ISO 8601 input says what it means already. */
  read(field: string, input: string, timeZone: string, read: ReadDate): void {
    if (read.natural)
      this.understood.push({ field, input, resolved: zonedIso(read.at, timeZone), time_zone: timeZone });
  }

  warn(warning: string): void {
    this.warnings.push(warning);
  }

  /** `{ understood?, warnings? }` for the tool's output. */
  output(): { understood?: UnderstoodDate[]; warnings?: string[] } {
    return {
      ...(this.understood.length > 0 ? { understood: this.understood } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
    };
  }
}
