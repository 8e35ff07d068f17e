import { auth } from "../../../auth";

/**
 * Orders, for access tokens carrying the `orders/read` scope: typically a machine client's
 * Bearer token (client credentials). The example's user sessions do not carry that scope,
 * so they get 403 `insufficient_scope`.
 */
export const GET = auth.withAuth({ scopes: ["orders/read"] }, (_request, { session }) =>
  Response.json({
    client: session.clientId,
    orders: [
      { id: "o-1001", item: "Notebook", quantity: 3 },
      { id: "o-1002", item: "Pencil", quantity: 12 },
    ],
  }),
);
