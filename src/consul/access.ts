// How the mesh's tasks reach the Consul servers (how this program reaches their HTTPS API is
// src/shared/consulApi.ts, the one shape every Consul client uses).
import * as pulumi from "@pulumi/pulumi";

/** How mesh tasks, gateways and the controller reach the servers: consul-ecs's `consulServers`. */
export interface ConsulServerEndpoint {
    /** `consulServers.hosts`: a DNS name, an IP or `exec=discover ...`; never a scheme or port. */
    readonly hosts: pulumi.Input<string>;
    /** The name the server certificate carries, sent as SNI: `server.<datacenter>.consul`. */
    readonly tlsServerName: string;
    /** Secrets Manager ARN of the CA certificate PEM (injected as CONSUL_*_CACERT_PEM). */
    readonly caCertSecretArn: pulumi.Input<string>;
    /**
     * The customer KMS key that encrypts that secret: an execution role that injects it needs
     * `kms:Decrypt` on this key (docs/platform-facts.md#iam). Absent when the secret uses the AWS managed key.
     */
    readonly caCertKmsKeyArn?: pulumi.Input<string>;
    /** HTTPS API port (8501). */
    readonly httpsPort: number;
    /** gRPC TLS port (8503). */
    readonly grpcPort: number;
    readonly datacenter: string;
}
