/** The service's JSON logger (pino), injectable. */
export const LOGGER = Symbol("JsonLogger");
