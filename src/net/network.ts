import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkConfig } from "../config";

export interface NetworkArgs {
    /** Create a VPC (awsx) or adopt an existing one. */
    readonly network: NetworkConfig;
    readonly tags?: Record<string, string>;
}

/**
 * The VPC every other component lives in: private subnets for tasks and servers, public subnets
 * for the ALB only. Created with awsx (NAT per AZ or a single NAT) or adopted as given.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly vpcCidr: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:net:Network", name, {}, opts);
        const network = args.network;
        if (network.kind === "create") {
            const vpc = new awsx.ec2.Vpc(
                `${name}-vpc`,
                {
                    cidrBlock: network.cidr,
                    numberOfAvailabilityZones: network.azCount,
                    natGateways: { strategy: network.natGateways === "perAz" ? "OnePerAz" : "Single" },
                    subnetStrategy: "Auto",
                    enableDnsHostnames: true,
                    enableDnsSupport: true,
                    tags: { ...args.tags, Name: `${name}-vpc` },
                },
                { parent: this },
            );
            this.vpcId = vpc.vpcId;
            this.vpcCidr = pulumi.output(network.cidr);
            this.privateSubnetIds = vpc.privateSubnetIds;
            this.publicSubnetIds = vpc.publicSubnetIds;
        } else {
            this.vpcId = pulumi.output(network.vpcId);
            this.vpcCidr = aws.ec2.getVpcOutput({ id: network.vpcId }, { parent: this }).cidrBlock;
            this.privateSubnetIds = pulumi.output([...network.privateSubnetIds]);
            this.publicSubnetIds = pulumi.output([...network.publicSubnetIds]);
        }
        this.registerOutputs({
            vpcId: this.vpcId,
            vpcCidr: this.vpcCidr,
            privateSubnetIds: this.privateSubnetIds,
            publicSubnetIds: this.publicSubnetIds,
        });
    }
}
