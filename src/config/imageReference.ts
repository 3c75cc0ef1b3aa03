// Container image references, judged by the grammar Docker and ECS use (distribution/reference, as
// ported by @swimlane/docker-reference; short Docker Hub names such as `nginx:1.27` are normalised
// the way Docker does). The parser decides; the messages say in plain words which part is wrong.
import { parseFamiliarName } from "@swimlane/docker-reference";
import type { Report } from "./types";

const EXAMPLE = "[registry/]repository[:tag][@sha256:<64 hexadecimal digits>], for example public.ecr.aws/hashicorp/consul:2.0.1";
/** A tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A digest: algorithm, a colon, then the hash in hexadecimal digits. */
const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
/** One path component of a repository: lowercase letters and digits, joined by `.`, `_`, `__` or dashes. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** What is wrong with an image reference, or undefined when Docker and ECS would accept it. */
export function imageReferenceProblem(reference: string): string | undefined {
    try {
        parseFamiliarName(reference);
        return undefined;
    } catch {
        const parts = explain(reference);
        return `${JSON.stringify(reference)} is not an image reference: ${parts.length > 0 ? parts.join("; ") : "it does not follow the grammar"}; write it as ${EXAMPLE}`;
    }
}

/** Reports the image at `path` if it is not a reference; returns it either way. */
export function checkedImage(path: string, image: string, at: Report): string {
    const problem = imageReferenceProblem(image);
    if (problem) {
        at(path, problem);
    }
    return image;
}

/** Which parts of a refused reference break the grammar, in words (best effort: the parser has refused it). */
function explain(reference: string): string[] {
    const reasons: string[] = [];
    if (reference === "") {
        return ["it is empty"];
    }
    if (/\s/.test(reference)) {
        reasons.push("it contains a space");
    }
    if (/^[a-f0-9]{64}$/.test(reference)) {
        return ["a bare 64-digit image ID cannot be pulled; name the repository"];
    }
    const at = reference.indexOf("@");
    const named = at < 0 ? reference : reference.slice(0, at);
    if (at >= 0 && !DIGEST.test(reference.slice(at + 1))) {
        reasons.push(`the digest after @ must be sha256: and 64 hexadecimal digits (or sha384:/sha512: and 96/128), not ${JSON.stringify(reference.slice(at + 1))}`);
    }
    const slash = named.indexOf("/");
    const hasRegistry = slash >= 0 && (/[.:]/.test(named.slice(0, slash)) || named.startsWith("localhost/"));
    const path = hasRegistry ? named.slice(slash + 1) : named;
    const colon = path.indexOf(":");
    const repository = colon < 0 ? path : path.slice(0, colon);
    if (colon >= 0 && !TAG.test(path.slice(colon + 1))) {
        reasons.push(`the tag after the : must be 1 to 128 letters, digits, _ . or -, not starting with . or -; got ${JSON.stringify(path.slice(colon + 1))}`);
    }
    if (repository !== repository.toLowerCase()) {
        reasons.push(`the repository name ${JSON.stringify(repository)} must be lowercase`);
    }
    const bad = repository.toLowerCase().split("/").filter((component) => !COMPONENT.test(component));
    if (bad.length > 0 && !reasons.some((r) => r.startsWith("it contains a space"))) {
        const described = bad.map((c) => (c === "" ? "an empty part (two slashes in a row, or one at an end)" : JSON.stringify(c)));
        reasons.push(`each part of the repository name between slashes must be letters and digits joined by one . or _, two __ or dashes, which ${described.join(", ")} is not`);
    }
    return reasons;
}
