/** A statement the restore does not run, with the reason. */
export class StatementRefused extends Error {
  override name = "StatementRefused";
}
