// Fixture helpers over the fake Consul's KV and config entries (fakeConsul.ts): what a test writes
// or reads directly, with the indexes Consul would give, without going through HTTP.
import { FakeConsul } from "./fakeConsul";

/** Writes `key` as a PUT without CAS would. */
export function putKv(consul: FakeConsul, key: string, value: string | object): void {
    const existing = consul.state.kv.get(key);
    const index = consul.nextIndex();
    consul.state.kv.set(key, { value: Buffer.from(typeof value === "string" ? value : JSON.stringify(value)), createIndex: existing?.createIndex ?? index, modifyIndex: index });
}

/** The JSON stored at `key`, or undefined. */
export function readKv<T>(consul: FakeConsul, key: string): T | undefined {
    const entry = consul.state.kv.get(key);
    return entry ? (JSON.parse(entry.value.toString("utf8")) as T) : undefined;
}

/** Writes a config entry as PUT /v1/config would. */
export function putConfigEntry(consul: FakeConsul, entry: { Kind: string; Name: string } & Record<string, unknown>): void {
    const id = `${entry.Kind}/${entry.Name}`;
    const index = consul.nextIndex();
    consul.state.config.set(id, { ...entry, CreateIndex: consul.state.config.get(id)?.CreateIndex ?? index, ModifyIndex: index });
}
