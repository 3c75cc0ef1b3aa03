// What the mesh tests expect of the real program's Consul server cluster in the dev stack: the ARNs
// the mock runtime computes for the CA certificate's secret and the stack's KMS key.
export const DEV_CA_CERT_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/dev/consul/ca-cert-AbCdEf";
export const DEV_SECRETS_KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/consul-secrets-key-key-id";
