// Load balancers, their listeners, security groups and target groups, linked through the stack.
import type { PolicyResource } from "@pulumi/policy";
import { CONTAINERS } from "../../src/shared/meshNames";
import { asArray, asBoolean, asNumber, asRecord, asString, linkedTo, ofType, referencedBy, TYPES } from "./resources";

const LISTENER_RULE = "aws:lb/listenerRule:ListenerRule";

/** `internal` defaults to false: a load balancer is internet-facing unless it says otherwise. */
function isInternetFacing(lb: PolicyResource): boolean {
    return asBoolean(lb.props.internal) !== true;
}

export function loadBalancerType(lb: PolicyResource): string {
    return asString(lb.props.loadBalancerType) ?? "application";
}

export function internetFacingLoadBalancers(resources: readonly PolicyResource[]): PolicyResource[] {
    return ofType(resources, TYPES.loadBalancers).filter(isInternetFacing);
}

export function listenersOf(lb: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    const lbs = ofType(resources, TYPES.loadBalancers);
    return ofType(resources, TYPES.listeners).filter((listener) => linkedTo(listener, "loadBalancerArn", TYPES.loadBalancers, lbs).includes(lb));
}

export function listenerPorts(lb: PolicyResource, resources: readonly PolicyResource[]): number[] {
    return listenersOf(lb, resources)
        .map((l) => asNumber(l.props.port))
        .filter((p): p is number => p !== undefined);
}

/** True when the security group (as a resource or an id) is one of the load balancer's. */
export function guardsLoadBalancer(lb: PolicyResource, groups: readonly PolicyResource[], groupId: string | undefined, resources: readonly PolicyResource[]): boolean {
    const lbGroups = referencedBy(lb, "securityGroups", TYPES.securityGroup, ofType(resources, TYPES.securityGroup));
    const lbGroupIds = asArray(lb.props.securityGroups).filter((g): g is string => typeof g === "string");
    return groups.some((g) => lbGroups.includes(g)) || (groupId !== undefined && lbGroupIds.includes(groupId));
}

function forwardsIn(actions: unknown): boolean {
    return asArray(actions).some((a) => {
        const type = asString(asRecord(a).type);
        return type === "forward" || (type === undefined && asRecord(a).targetGroupArn !== undefined);
    });
}

/** Target groups a listener (or any of its listener rules) forwards to. */
export function forwardedTargetGroups(listener: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    const targetGroups = ofType(resources, TYPES.targetGroups);
    const found = new Set<PolicyResource>();
    if (forwardsIn(listener.props.defaultActions)) {
        linkedTo(listener, "defaultActions", TYPES.targetGroups, targetGroups).forEach((tg) => found.add(tg));
    }
    const listeners = ofType(resources, TYPES.listeners);
    for (const rule of ofType(resources, LISTENER_RULE)) {
        if (linkedTo(rule, "listenerArn", TYPES.listeners, listeners).includes(listener) && forwardsIn(rule.props.actions)) {
            linkedTo(rule, "actions", TYPES.targetGroups, targetGroups).forEach((tg) => found.add(tg));
        }
    }
    return [...found];
}

/** True when a listener forwards at all (a redirect-only listener does not). */
export function listenerForwards(listener: PolicyResource, resources: readonly PolicyResource[]): boolean {
    if (forwardsIn(listener.props.defaultActions)) {
        return true;
    }
    const listeners = ofType(resources, TYPES.listeners);
    return ofType(resources, LISTENER_RULE).some((rule) => forwardsIn(rule.props.actions) && linkedTo(rule, "listenerArn", TYPES.listeners, listeners).includes(listener));
}

/** Target groups that an ECS service registers its consul-dataplane container in: the API gateway's. */
export function gatewayTargetGroups(resources: readonly PolicyResource[]): PolicyResource[] {
    const targetGroups = ofType(resources, TYPES.targetGroups);
    const found = new Set<PolicyResource>();
    for (const service of ofType(resources, TYPES.ecsServices)) {
        const entries = asArray(service.props.loadBalancers).map(asRecord);
        if (entries.some((e) => e.containerName === CONTAINERS.dataplane)) {
            linkedTo(service, "loadBalancers", TYPES.targetGroups, targetGroups).forEach((tg) => found.add(tg));
        }
    }
    return [...found];
}
