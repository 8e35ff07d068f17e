import { CognitoUnavailableError, isCode, JwksUnavailableError, type Outage, StoreUnavailableError } from "../lib/errors.ts";

/**
 * The service an outage names in a 503: the user pool's signing keys (its JWKS), Cognito
 * (its token endpoint and JSON API), or the session store. The name is all a response says
 * of an outage: never the error's message, which may quote an upstream's free text.
 */
export type Service = "user-pool-keys" | "cognito" | "session-store";

/** The service `outage` could not reach, by its code (a store outage is also a Cognito one: checked first). */
export function serviceOf(outage: Outage): Service {
  if (isCode(outage, "ERR_STORE_UNAVAILABLE")) return "session-store";
  if (isCode(outage, "ERR_JWKS_UNAVAILABLE")) return "user-pool-keys";
  return "cognito";
}

/**
 * An outage of the service named `service`, for one reported by name across a bundle
 * boundary (the middleware to a route handler); undefined for any other name.
 */
export function outageOf(service: string): Outage | undefined {
  switch (service) {
    case "session-store":
      return new StoreUnavailableError("the session store could not be reached");
    case "user-pool-keys":
      return new JwksUnavailableError("the user pool's keys could not be fetched");
    case "cognito":
      return new CognitoUnavailableError("Cognito could not be reached");
    default:
      return undefined;
  }
}
