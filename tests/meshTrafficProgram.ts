// The mesh program of tests/meshProgram.ts (foundation, MeshService per service, controller, API
// gateway, over its stand-in server cluster) plus the traffic side (createMeshTraffic over the
// stand-ins of cli/trafficProgram.ts): the closest thing to the wired program until index.ts has the
// server cluster, used to check that a flip changes nothing on the ECS side either.
import { Program } from "../cli/offline";
import { standInConnection } from "../cli/trafficProgram";
import { createMeshTraffic } from "../components/meshTraffic";
import { loadStackConfig } from "../components/stackConfig";
import { meshProgram } from "./meshProgram";

export const meshAndTrafficProgram: Program = () => {
    const outputs = meshProgram();
    createMeshTraffic(loadStackConfig().services, standInConnection("consul-traffic"));
    return outputs;
};
