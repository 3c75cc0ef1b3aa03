// The bluegreen policy pack: `pulumi preview --policy-pack ./policies` runs it before anything is
// created; `npm run plan -- --stack <s> --policy` runs the same rules offline. Rules live in rules/.
// The pack runs from this repository, not published on its own: its rules import the names and
// rules they share with the program from ../src/shared/, which imports nothing else of the project.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("bluegreen", {
    description: "Guardrails for blue/green ECS services in a Consul service mesh: safe traffic splits, sound mesh tasks, private networking, no plain-text secrets, least-privilege IAM, production-grade Consul servers.",
    policies,
});
