// ECS refuses a task definition larger than 64 KiB (Amazon ECS service quotas: "Task definition max
// size"). The app container's plain env is the part a stack file controls; everything else (the
// mesh's sidecars, their config JSON, volumes, tags) is the program's and takes a bounded share.
import type { Report } from "./types";

export const TASK_DEFINITION_MAX_BYTES = 64 * 1024;
/**
 * What the program's own part of a colour's task definition may take. The largest in the example
 * plans is well below it; tests/config/program.test.ts measures it and keeps it so.
 */
export const TASK_DEFINITION_PROGRAM_BYTES = 24 * 1024;
/** What a stack file's env and secrets may take of a task definition. */
export const ENV_MAX_BYTES = TASK_DEFINITION_MAX_BYTES - TASK_DEFINITION_PROGRAM_BYTES;

/** Bytes `env` and `secrets` take in the container definitions JSON, as ECS stores them. */
export function envBytes(env: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>): number {
    const entries = [...Object.entries(env).map(([name, value]) => ({ name, value })), ...Object.entries(secrets).map(([name, valueFrom]) => ({ name, valueFrom }))];
    return Buffer.byteLength(JSON.stringify(entries), "utf8");
}

/** `owner` is the colour whose task definition this is, for example `bluegreen:services.orders.green`. */
export function checkEnvSize(owner: string, env: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>, at: Report): void {
    const bytes = envBytes(env, secrets);
    if (bytes > ENV_MAX_BYTES) {
        at(`${owner}.env`, `env and secrets (the service's merged with the colour's) take ${bytes} bytes of the task definition; ECS refuses a task definition over 64 KiB, which leaves ${ENV_MAX_BYTES} bytes for them: move large values to S3 or Secrets Manager`);
    }
}
