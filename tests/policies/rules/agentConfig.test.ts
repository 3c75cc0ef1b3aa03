// policies/rules/agentConfig.ts: finding a Consul server agent config in user data or a container.
import { expect } from "chai";
import { gzipSync } from "zlib";
import { agentConfigIn } from "../../../policies/rules/agentConfig";
import { serverAgentConfig, userDataFor } from "../../support/policyFixtures";

describe("finding the agent config", () => {
    const config = serverAgentConfig(3);
    it("in base64 user data with a heredoc", () => {
        expect(agentConfigIn([userDataFor(config)])).to.deep.equal(config);
    });
    it("in gzipped user data, and in a base64 blob the script decodes at boot", () => {
        const script = `#!/bin/bash\necho ${Buffer.from(JSON.stringify(config)).toString("base64")} | base64 -d > /etc/consul.d/consul.json\n`;
        expect(agentConfigIn([Buffer.from(script).toString("base64")])).to.deep.equal(config);
        expect(agentConfigIn([gzipSync(Buffer.from(`cat <<EOF\n${JSON.stringify(config)}\nEOF`)).toString("base64")])).to.deep.equal(config);
    });
    it("in a container command, escaped or not, merging several files", () => {
        const command = ["/bin/sh", "-ec", `echo "${JSON.stringify({ server: true, acl: { enabled: true } }).replace(/"/g, '\\"')}" > /c/a.json; echo '${JSON.stringify({ ports: { http: -1 }, acl: { default_policy: "deny" } })}' > /c/b.json; exec consul agent -config-dir /c`];
        expect(agentConfigIn(command)).to.deep.equal({ server: true, acl: { enabled: true, default_policy: "deny" }, ports: { http: -1 } });
    });
    it("and nothing where there is none", () => {
        expect(agentConfigIn(["#!/bin/bash\necho '{\"hello\": 1}'", "aGVsbG8gd29ybGQ="])).to.equal(undefined);
    });
});
