// bluegreen:gateway.certificateArn: an ALB serves only ACM certificates of its own region.
import type { Report } from "./types";

export function checkCertificateRegion(path: string, arn: string, region: unknown, at: Report): void {
    const certificateRegion = arn.split(":")[3];
    if (typeof region === "string" && region !== "" && certificateRegion !== region) {
        at(path, `is a certificate in ${certificateRegion}, but the stack deploys to ${region} (aws:region); an ALB listener takes only an ACM certificate of its own region: request or import the certificate in ${region}`);
    }
}
