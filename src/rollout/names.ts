// Names other modules need without loading the engine (the plan diff, the flip client, the bench).

/** The stack's Release resource: the one resource a traffic change changes. */
export const RELEASE_RESOURCE_NAME = "rollout-release";
