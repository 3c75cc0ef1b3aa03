// Image references as Docker and ECS read them (distribution/reference's grammar): a table of what
// passes and what is refused, and that each refusal says in words which part is wrong.
import { expect } from "chai";
import { imageReferenceProblem } from "../../src/config/imageReference";

const HEX64 = "0123456789abcdef".repeat(4);

const accepted = [
    "nginx",
    "nginx:1.27",
    "nicholasjackson/fake-service:v0.26.2",
    "public.ecr.aws/hashicorp/consul-dataplane:2.0.1",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/orders:1.4.2",
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/orders@sha256:${HEX64}`,
    `ghcr.io/acme/orders:1.4.2@sha256:${HEX64}`,
    "localhost:5000/orders",
    "registry.example.com:8443/a/b/c:latest",
    "my_org/my__repo.name-x:TAG_1.0-rc",
];

const refused: [string, string][] = [
    ["", "it is empty"],
    ["my image:1", "contains a space"],
    ["Orders:1", 'the repository name "Orders" must be lowercase'],
    ["orders:.1", "the tag after the :"],
    ["orders:-1", "the tag after the :"],
    [`orders:${"a".repeat(129)}`, "1 to 128"],
    ["x:y:z", 'got "y:z"'],
    ["orders@sha256:abc", "the digest after @ must be sha256: and 64 hexadecimal digits"],
    [`orders@md5:${HEX64}`, "the digest after @"],
    ["hashicorp//consul", "an empty part"],
    ["orders/", "an empty part"],
    ["-orders:1", '"-orders"'],
    [HEX64, "a bare 64-digit image ID"],
];

describe("image references", () => {
    for (const reference of accepted) {
        it(`accepts ${reference}`, () => {
            expect(imageReferenceProblem(reference)).to.equal(undefined);
        });
    }
    for (const [reference, says] of refused) {
        it(`refuses ${JSON.stringify(reference.length > 40 ? `${reference.slice(0, 40)}...` : reference)}, saying ${says}`, () => {
            const problem = imageReferenceProblem(reference);
            expect(problem).to.be.a("string").and.to.include(says);
            expect(problem).to.include("is not an image reference").and.to.include("[registry/]repository[:tag]");
            expect(problem).to.not.match(/\^|\$\/|\\s|pattern/);
        });
    }
});
