// What the offline runtime's mocks compute for a resource on create (ids, ARNs, DNS names, generated
// key material), kept apart from mocks.ts so that readers of a saved plan (the preflight) can
// resolve references between its records without loading the Pulumi SDK.

export const MOCK_ACCOUNT = "123456789012";
/** Every mocked secret value contains this text; a plain input containing it is a leak. */
export const MOCK_SECRET_MARKER = "MOCKSECRET";
/** The fixed "now" of mocked timestamps (certificate validity), so plans are deterministic. */
const MOCK_NOW = "2025-01-01T00:00:00Z";

/** The partition of a region's ARNs, as the AWS provider's getPartition answers there. */
export function mockPartition(region: string): string {
    return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

/** The partition's DNS suffix, as the mocked getPartition answers it. */
export function mockDnsSuffix(partition: string): string {
    return partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

/** The id the mocks give a resource (`newResource` returns it). */
export function mockId(name: string): string {
    return `${name}-id`;
}

/** What a provider computes for a resource on create, in the shape of the real SDK's outputs. */
export function computedOutputs(type: string, name: string, inputs: Record<string, unknown>, region: string): Record<string, unknown> {
    const [pkg, modulePath, kind] = type.split(":");
    const service = (modulePath ?? "").split("/")[0];
    const physicalName = typeof inputs.name === "string" ? inputs.name : `${name}-mock`;
    const partition = mockPartition(region);
    const outputs: Record<string, unknown> = {
        name: physicalName,
        arn: `arn:${partition}:${service}:${region}:${MOCK_ACCOUNT}:${(kind ?? "resource").toLowerCase()}/${physicalName}`,
    };
    switch (type) {
        case "awsx:ec2:Vpc": {
            const azs = typeof inputs.numberOfAvailabilityZones === "number" ? inputs.numberOfAvailabilityZones : 3;
            const ids = (prefix: string) => Array.from({ length: azs }, (_, i) => `subnet-${prefix}${i}${name.length}`);
            return {
                vpcId: `vpc-${name.length}0mock`,
                privateSubnetIds: ids("0a"),
                publicSubnetIds: ids("0b"),
                isolatedSubnetIds: [],
                vpc: { cidrBlock: inputs.cidrBlock, id: `vpc-${name.length}0mock` },
            };
        }
        case "aws:iam/role:Role":
            return { ...outputs, arn: `arn:${partition}:iam::${MOCK_ACCOUNT}:role${inputs.path ?? "/"}${physicalName}`, uniqueId: `AROA${name.length}MOCK` };
        case "aws:iam/instanceProfile:InstanceProfile":
            return { ...outputs, arn: `arn:${partition}:iam::${MOCK_ACCOUNT}:instance-profile${inputs.path ?? "/"}${physicalName}`, uniqueId: `AIPA${name.length}MOCK` };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { ...outputs, arn: `arn:${partition}:logs:${region}:${MOCK_ACCOUNT}:log-group:${physicalName}` };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { ...outputs, arn: `arn:${partition}:ec2:${region}:${MOCK_ACCOUNT}:launch-template/lt-0${name.length}mock`, latestVersion: 1, defaultVersion: 1 };
        case "aws:lb/loadBalancer:LoadBalancer":
            return { ...outputs, dnsName: `${physicalName}.${region}.elb.amazonaws.com`, zoneId: "Z32O12XQLNTSW2", arnSuffix: `app/${physicalName}/mock` };
        case "aws:lb/targetGroup:TargetGroup":
            return { ...outputs, arnSuffix: `targetgroup/${physicalName}/mock` };
        case "aws:secretsmanager/secret:Secret":
            return { ...outputs, arn: `arn:${partition}:secretsmanager:${region}:${MOCK_ACCOUNT}:secret:${physicalName}-AbCdEf` };
        case "aws:kms/key:Key":
            return { ...outputs, keyId: `${name}-key-id`, arn: `arn:${partition}:kms:${region}:${MOCK_ACCOUNT}:key/${name}-key-id` };
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2":
            return { ...outputs, bucket: inputs.bucket ?? physicalName, arn: `arn:${partition}:s3:::${inputs.bucket ?? physicalName}` };
        case "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace":
            return { ...outputs, hostedZone: "Z0MOCKZONE" };
        case "random:index/randomPassword:RandomPassword":
        case "random:index/randomString:RandomString":
            return { result: `${MOCK_SECRET_MARKER}-${name}` };
        case "random:index/randomUuid:RandomUuid":
            return { result: `00000000-0000-4000-8000-${String(name.length).padStart(12, "0")}`, id: name };
        case "random:index/randomId:RandomId":
            return { b64Std: `${MOCK_SECRET_MARKER}${name}`.padEnd(43, "A") + "=", hex: `${MOCK_SECRET_MARKER}-${name}` };
        case "tls:index/privateKey:PrivateKey":
            return {
                privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${MOCK_SECRET_MARKER}-${name}\n-----END PRIVATE KEY-----\n`,
                privateKeyOpenssh: `${MOCK_SECRET_MARKER}-${name}-openssh`,
                publicKeyPem: `-----BEGIN PUBLIC KEY-----\nPUBLIC-${name}\n-----END PUBLIC KEY-----\n`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert": {
            const hours = typeof inputs.validityPeriodHours === "number" ? inputs.validityPeriodHours : 0;
            return {
                certPem: `-----BEGIN CERTIFICATE-----\nCERT-${name}\n-----END CERTIFICATE-----\n`,
                validityStartTime: MOCK_NOW,
                validityEndTime: new Date(Date.parse(MOCK_NOW) + hours * 3600_000).toISOString().replace(/\.000Z$/, "Z"),
            };
        }
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nCSR-${name}\n-----END CERTIFICATE REQUEST-----\n` };
        case "consul:index/aclToken:AclToken":
            return { accessorId: `11111111-0000-4000-8000-${String(name.length).padStart(12, "0")}` };
        case "consul:index/aclPolicy:AclPolicy":
            return { id: `22222222-0000-4000-8000-${String(name.length).padStart(12, "0")}` };
        default:
            return pkg === "aws" ? outputs : {};
    }
}
