"use client";

import { useEffect, useState } from "react";

/**
 * The page's client component: rendered "server" on the server, it turns "hydrated" once React has
 * hydrated it in the browser, so a check can tell a page whose JavaScript loaded and ran from one
 * whose static assets are missing.
 */
export function HydrationMarker() {
  const [state, setState] = useState("server");
  useEffect(() => setState("hydrated"), []);
  return (
    <p data-testid="hydration" data-state={state}>
      Interactive features: {state === "hydrated" ? "ready" : "loading"}
    </p>
  );
}
