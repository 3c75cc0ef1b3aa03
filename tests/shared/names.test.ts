// src/shared/: the ports, stack names and exit codes the program, the policy pack and the client share.
import { expect } from "chai";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { CONSUL_PORTS, GATEWAY_LISTENER, PORTS, RESERVED_PORTS } from "../../src/shared/ports";
import { isProductionStack } from "../../src/shared/stacks";

describe("shared names and numbers", () => {
    it("keep one port table: Consul's ports, the mesh's reserved ports and the gateway's listener agree", () => {
        expect(CONSUL_PORTS).to.include.members([PORTS.serverRpc, PORTS.serfLan, PORTS.serfWan, PORTS.consulHttps, PORTS.consulGrpcTls]);
        expect(RESERVED_PORTS).to.include.members([...CONSUL_PORTS, PORTS.envoyPublic]);
        expect(GATEWAY_LISTENER.port).to.equal(PORTS.gatewayListener);
        // The gateway's listener is no Consul port: the pack keeps Consul's ports inside the VPC, and the ALB must reach 8443.
        expect(CONSUL_PORTS).to.not.include(GATEWAY_LISTENER.port);
    });

    it("call a stack production by one of its words, whatever the case, not by a prefix", () => {
        expect(["prod", "eu-prod", "prod-2", "Production", "prd", "live"].every(isProductionStack)).to.equal(true);
        expect(["products", "productdemo", "dev", "staging", "prodigy"].some(isProductionStack)).to.equal(false);
    });

    it("give each exit code one meaning per command family, the signal codes above 128", () => {
        expect(EXIT_CODES).to.deep.equal({ OK: 0, FAILED: 1, DEGRADED: 1, INVALID_INPUT: 2, INTERNAL: 3, NOT_DONE: 4, ROLLED_BACK: 5, ABORTED: 6, ENGINE_FAILED: 7, ENGINE_SILENT: 8, SIGNAL_BASE: 128 });
    });
});
