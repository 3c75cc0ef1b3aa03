// Registers the stack's one Release resource (index.ts calls this with the engine's state machine;
// the traffic-side program of the tests and the benchmark with a stand-in ARN), so that what the
// blast-radius tests check is what the program registers.
import * as pulumi from "@pulumi/pulumi";
import type { ConsulApiAccess } from "../shared/consulApi";
import type { ServiceConfig } from "../config/types";
import { Release } from "./release";
import { desiredServices } from "./releaseRules";
import { RELEASE_RESOURCE_NAME } from "./names";

export { RELEASE_RESOURCE_NAME };

export function createRelease(
    services: readonly ServiceConfig[],
    api: ConsulApiAccess<pulumi.Input<string>>,
    engine: { readonly stateMachineArn: pulumi.Input<string>; readonly region: string },
    dependsOn: readonly pulumi.Resource[],
): Release {
    return new Release(
        RELEASE_RESOURCE_NAME,
        { stack: pulumi.getStack(), services: desiredServices(services), stateMachineArn: engine.stateMachineArn, region: engine.region, consul: api },
        { dependsOn: [...dependsOn] },
    );
}
