// How anything reaches Consul's HTTPS API, in one shape: the program's dynamic resources and config
// entries, the rollout engine's Lambda, the Release resource and the flip client. Plain values by
// default; the program passes `ConsulApiAccess<pulumi.Input<string>>` where they are still outputs.

export interface ConsulApiAccess<Value = string> {
    /** `host:port` of the HTTPS API (the internal load balancer on 8501, or localhost:8501 through a tunnel). */
    readonly address: Value;
    /** PEM of the CA that signed the servers' certificates (a Pulumi secret in the program). */
    readonly caCertPem: Value;
    /** The ACL token sent as X-Consul-Token (a Pulumi secret in the program). */
    readonly token: Value;
    /** The name the server certificate carries, sent as SNI and checked on every connection: `server.<datacenter>.consul`. */
    readonly tlsServerName: string;
}
