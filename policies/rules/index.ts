// Every rule of the bluegreen policy pack, in the order they are reported.
import type { Policies } from "@pulumi/policy";
import { consulPortsInsideVpc } from "./consulPortsInsideVpc";
import { consulServersSecured, consulServersSecuredOutsideProduction } from "./consulServersSecured";
import { iamLeastPrivilege } from "./iamLeastPrivilege";
import { meshServicesPropagateTags } from "./meshServicesPropagateTags";
import { meshTaskDefinitions } from "./meshTaskDefinitions";
import { noOpenIngress } from "./noOpenIngress";
import { noPlaintextSecrets } from "./noPlaintextSecrets";
import { noPublicIp } from "./noPublicIp";
import { onlyGatewayAlbInternetFacing } from "./onlyGatewayAlbInternetFacing";
import { productionConsulServers } from "./productionConsulServers";
import { secretsKmsEncrypted } from "./secretsEncrypted";
import { retriesBoundedByTimeout } from "./retriesBounded";
import { stickyEndsWithRollout } from "./stickyEndsWithRollout";
import { consulTrafficSplits } from "./trafficSplits";
import { weightOnlyOnRunningColours } from "./weightOnRunningColours";

export const policies: Policies = [
    consulTrafficSplits,
    weightOnlyOnRunningColours,
    retriesBoundedByTimeout,
    stickyEndsWithRollout,
    meshTaskDefinitions,
    meshServicesPropagateTags,
    noOpenIngress,
    consulPortsInsideVpc,
    noPublicIp,
    onlyGatewayAlbInternetFacing,
    noPlaintextSecrets,
    secretsKmsEncrypted,
    iamLeastPrivilege,
    productionConsulServers,
    consulServersSecured,
    consulServersSecuredOutsideProduction,
];
