// Sticky canary (`rollout.sticky`): while a rollout runs, a client the mesh served from one colour
// keeps being served by it; new clients are split by the current weights. Pure builders.
//
// How: during a rollout each split of the service's splitter adds a cookie naming its colour to the
// response (ResponseHeaders.Add; Set would replace the application's own Set-Cookie headers). The
// service's router sends a request carrying that cookie to the colour's sticky virtual service,
// `<service>-sticky-<colour>`, whose splitter the rollout engine pins to the colour while the
// rollout runs; at rest it hands everything to the service's own splitter. So the router never
// changes (Pulumi writes it once), the engine writes splitters only, as it always did, and once the
// engine has ended a rollout (promotion, rollback, abort) and written the virtual splitters back to
// "follow the service's splitter", no cookie leads anywhere the split does not.
//
// Consul's discovery-chain compiler (agent/consul/discoverychain/compile.go) routes a router
// destination without a subset through that service's splitter; a split that names another service
// with a subset goes straight to that service's resolver subset, and one without a subset goes on
// to that service's splitter. So: pinned, router -> virtual splitter -> `<service>` subset
// `<colour>`; at rest, router -> virtual splitter -> `<service>`'s splitter -> the live split.
// The types module only: the engine bundles this file, and config/index pulls in the Pulumi SDK.
import { COLOURS, Colour } from "../../config/types";
import { stickyCookieName, stickyServiceName } from "../../shared/meshNames";

export type Weights = Readonly<Record<Colour, number>>;

/** One sticky lane of the router: requests carrying `<cookie>=<colour>` go to the colour's virtual service. */
export interface StickyLane {
    readonly colour: Colour;
    readonly service: string;
    readonly cookie: { readonly name: "cookie"; readonly regex: string };
}

function escapeRegex(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The Cookie header holds `<name>=<colour>` as one of its pairs. Envoy matches a header regex
 * against the whole value (RE2, full match), so the other pairs around it are matched explicitly.
 */
export function stickyCookieRegex(service: string, colour: Colour): string {
    return `^(.*;\\s*)?${escapeRegex(stickyCookieName(service))}=${colour}(\\s*;.*)?$`;
}

export function stickyLanes(service: string): StickyLane[] {
    return COLOURS.map((colour) => ({ colour, service: stickyServiceName(service, colour), cookie: { name: "cookie", regex: stickyCookieRegex(service, colour) } }));
}

/** A session cookie for the whole site, out of scripts' reach; its value is only the colour. */
export function stickySetCookie(service: string, colour: Colour): string {
    return `${stickyCookieName(service)}=${colour}; Path=/; HttpOnly; SameSite=Lax`;
}

/** A virtual service's splits while pinned: the colour alone, both subsets listed so the shape never changes. */
function pinnedSplits(service: string, colour: Colour): ConsulEntryBody[] {
    return COLOURS.map((c) => ({ Weight: c === colour ? 100 : 0, Service: service, ServiceSubset: c }));
}

/** A virtual service's split at rest: everything to the service itself, so its own splitter (the live split) decides. */
function followingSplits(service: string): ConsulEntryBody[] {
    return [{ Weight: 100, Service: service }];
}

/**
 * Whether the engine pins `colour`'s virtual service at this split: only during a rollout, and only
 * a colour with weight, so a cookie never leads to a colour the split (and the health gate) has left.
 */
function isPinned(colour: Colour, weights: Weights, rolloutRunning: boolean): boolean {
    return rolloutRunning && weights[colour] > 0;
}

/** A PUT /v1/config body (Consul's own field names). */
export type ConsulEntryBody = Record<string, unknown>;

function virtualSplitterBody(service: string, colour: Colour, pinned: boolean): ConsulEntryBody {
    return { Kind: "service-splitter", Name: stickyServiceName(service, colour), Splits: pinned ? pinnedSplits(service, colour) : followingSplits(service) };
}

function splitterBody(name: string, service: string, weights: Weights, cookieFor?: (colour: Colour) => string): ConsulEntryBody {
    return {
        Kind: "service-splitter",
        Name: name,
        Splits: COLOURS.map((colour) => ({
            Weight: weights[colour],
            Service: service,
            ServiceSubset: colour,
            ...(cookieFor ? { ResponseHeaders: { Add: { "Set-Cookie": cookieFor(colour) } } } : {}),
        })),
    };
}

/**
 * Every entry the rollout engine writes for one service at one split, in write order. A service
 * without stickiness has its splitter only. A sticky one first has its virtual services written
 * (pinned during a rollout, following the service's splitter otherwise), then its splitter (adding
 * the cookie during a rollout only): ending a rollout thus unpins before the split moves back. A
 * colour that gains weight in a step is pinned only after the splitter gives it weight (the
 * engine's stickyWriteSequence, src/rollout/traffic.ts), so a cookie never leads to an unweighted colour.
 */
export function trafficEntries(service: string, weights: Weights, sticky: boolean, rolloutRunning: boolean): ConsulEntryBody[] {
    const splitter = splitterBody(service, service, weights, sticky && rolloutRunning ? (colour) => stickySetCookie(service, colour) : undefined);
    if (!sticky) {
        return [splitter];
    }
    return [...virtualSplitterEntries(service, weights, rolloutRunning), splitter];
}

/** The two sticky virtual services' splitters at this split (the first two entries of trafficEntries for a sticky service). */
export function virtualSplitterEntries(service: string, weights: Weights, rolloutRunning: boolean): ConsulEntryBody[] {
    return COLOURS.map((colour) => virtualSplitterBody(service, colour, isPinned(colour, weights, rolloutRunning)));
}
