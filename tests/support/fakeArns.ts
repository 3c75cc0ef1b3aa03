// Every ARN the tests name, in one place. The first group is what the mock runtime computes for the
// example stacks (src/offline/mocks.ts: account 123456789012, region eu-west-1), so a test that
// expects one of them checks the real program's wiring; the second group are inputs the pure
// builders get in tests of their own.

/** The dev stack's CA certificate secret (ServerCluster's ConsulSecrets). */
export const DEV_CA_CERT_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/dev/consul/ca-cert-AbCdEf";
/** The customer KMS key of the Consul secrets, the same name in every stack. */
export const SECRETS_KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/consul-secrets-key-key-id";
/** The log streams of the dev stack's log group. */
export const DEV_LOG_STREAMS_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/bluegreen/dev:log-stream:*";
/** The controller's Consul token secret. */
export const CONTROLLER_TOKEN_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-ecs-controller-token-mock-AbCdEf";
/** The task role of orders' green colour, under the path the auth method trusts. */
export const ORDERS_GREEN_TASK_ROLE_ARN = "arn:aws:iam::123456789012:role/consul-ecs/orders-green-task-mock";
/** The API gateway's ALB target group. */
export const GATEWAY_TARGET_GROUP_ARN = "arn:aws:lb:eu-west-1:123456789012:targetgroup/api-gateway-tg-mock";
/** The orders database secret the example stack files inject. */
export const DB_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db-Xy12Zw";

/** The secrets an ha server of the prod stack reads at boot, as the server builders get them. */
export const PROD_SERVER_SECRET_ARNS = {
    caCert: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/ca-cert-AbCdEf",
    serverCert: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/server-cert-AbCdEf",
    serverKey: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/server-key-AbCdEf",
    gossipKey: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/gossip-key-AbCdEf",
    managementToken: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/management-token-AbCdEf",
    agentToken: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/agent-token-AbCdEf",
} as const;

/** A CA secret as a builder test passes it. */
export const CA_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/dev/consul-ca-AbCdEf";
/** The database secret with an ECS JSON-key suffix (`:password::`). */
export const DB_PASSWORD_ARN = `${DB_SECRET_ARN}:password::`;
export const GREEN_API_KEY_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/green-api-key-Qw12Er";
