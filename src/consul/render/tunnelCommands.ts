// The SSM port-forwarding commands an operator runs to reach Consul's HTTPS API from outside the VPC
// (then `pulumi config set --path bluegreen:consul.apiAddress localhost:8501`). Built from plain
// data; exported as stack outputs and quoted in docs/consul-servers.md.

export interface HaTunnelOptions {
    readonly region: string;
    /** The tag every ha server carries (cloud auto-join); the tunnel goes through one of them. */
    readonly tagKey: string;
    readonly tagValue: string;
    /** The internal API load balancer's DNS name: the tunnel's far end. */
    readonly loadBalancerDnsName: string;
    readonly port: number;
}

/**
 * ha: Session Manager on one running server (its role has AmazonSSMManagedInstanceCore) forwards a
 * local port to the internal load balancer, which reaches whichever server is healthy.
 */
export function haTunnelCommand(options: HaTunnelOptions): string {
    const parameters = JSON.stringify({ host: [options.loadBalancerDnsName], portNumber: [String(options.port)], localPortNumber: [String(options.port)] });
    return [
        `aws ssm start-session --region ${options.region} \\`,
        `  --target "$(aws ec2 describe-instances --region ${options.region} --filters Name=tag:${options.tagKey},Values=${options.tagValue} Name=instance-state-name,Values=running --query 'Reservations[0].Instances[0].InstanceId' --output text)" \\`,
        `  --document-name AWS-StartPortForwardingSessionToRemoteHost \\`,
        `  --parameters '${parameters}'`,
    ].join("\n");
}

export interface DevTunnelOptions {
    readonly region: string;
    readonly clusterName: string;
    readonly serviceName: string;
    readonly containerName: string;
    readonly port: number;
}

/**
 * dev: there is no EC2 host, but ECS Exec (enabled on the dev server's service) is a Session Manager
 * target of the form `ecs:<cluster>_<task id>_<container runtime id>`, and Session Manager forwards a
 * local port to the server's own port inside the task.
 */
export function devTunnelCommand(options: DevTunnelOptions): string {
    const parameters = JSON.stringify({ portNumber: [String(options.port)], localPortNumber: [String(options.port)] });
    return [
        `TASK_ARN=$(aws ecs list-tasks --region ${options.region} --cluster ${options.clusterName} --service-name ${options.serviceName} --query 'taskArns[0]' --output text)`,
        `RUNTIME_ID=$(aws ecs describe-tasks --region ${options.region} --cluster ${options.clusterName} --tasks "$TASK_ARN" --query "tasks[0].containers[?name=='${options.containerName}'].runtimeId | [0]" --output text)`,
        `aws ssm start-session --region ${options.region} \\`,
        `  --target "ecs:${options.clusterName}_\${TASK_ARN##*/}_\${RUNTIME_ID}" \\`,
        `  --document-name AWS-StartPortForwardingSession \\`,
        `  --parameters '${parameters}'`,
    ].join("\n");
}
