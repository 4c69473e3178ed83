/** What the generator refuses, as a list, for the tests of runtime/gen/. */
import { GeneratorError } from "../../runtime/gen/errors.js";
import { type LoadedModule, validateUnits } from "../../runtime/gen/scan.js";

/** The problems `validateUnits` throws for `modules` ([] when it accepts them). */
export function problemsOf(modules: LoadedModule[]): readonly string[] {
  try {
    validateUnits(modules);
    return [];
  } catch (error) {
    if (error instanceof GeneratorError) return error.problems;
    throw error;
  }
}
