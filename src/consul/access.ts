// The contracts between the Consul server cluster and everything that talks to it.
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

/** How this program (config entries, gates) reaches Consul's HTTPS API. All secrets are outputs. */
export interface ConsulApiAccess {
    /** `host:port` of the HTTPS API. */
    readonly address: pulumi.Input<string>;
    /** The CA certificate PEM (a Pulumi secret). */
    readonly caCertPem: pulumi.Input<string>;
    /** The management token (a Pulumi secret). */
    readonly token: pulumi.Input<string>;
    /** The server certificate's name, checked on every connection. */
    readonly tlsServerName: string;
}
