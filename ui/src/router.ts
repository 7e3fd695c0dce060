// The app's three places (overview, one request's page, settings) and a
// history to go back through, like a browser's: Alt+Left or the page's
// "Zurück" button. In memory only (the window has no address bar). Pure.

export type Route = { page: "overview" } | { page: "request"; roomId: string } | { page: "settings" };

export class Router {
  #stack: Route[] = [{ page: "overview" }];

  get current(): Route {
    return this.#stack[this.#stack.length - 1] ?? { page: "overview" };
  }

  get canGoBack(): boolean {
    return this.#stack.length > 1;
  }

  /** Goes to `route`; going to where one already is changes nothing. */
  navigate(route: Route): boolean {
    if (sameRoute(route, this.current)) return false;
    // The overview is home: going there clears the way back.
    this.#stack = route.page === "overview" ? [route] : [...this.#stack, route];
    return true;
  }

  /** Goes back one step; `false` at home. */
  back(): boolean {
    if (!this.canGoBack) return false;
    this.#stack.pop();
    return true;
  }

  /** Back to the overview with no history (e.g. after logout). */
  reset(): void {
    this.#stack = [{ page: "overview" }];
  }
}

export function sameRoute(a: Route, b: Route): boolean {
  if (a.page !== b.page) return false;
  return a.page !== "request" || (b.page === "request" && a.roomId === b.roomId);
}
