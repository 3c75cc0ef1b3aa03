// A JSON Schema (draft-07, for ajv) of a CloudWatch dashboard body, written for these tests from
// AWS's "Dashboard Body Structure and Syntax" (Amazon CloudWatch API Reference): the top level
// (widgets, variables, start, end, periodOverride), the widget array (type, x 0-23, y >= 0, width
// 1-24, height 1-1000, properties required; x and y each require the other), the properties of text
// widgets (markdown required, background) and of metric widgets (region required; metrics, period a
// multiple of 60, stat, view, stacked, title, liveData, legend.position, yAxis left/right with label,
// min, max, showUnits, annotations, accountId, sparkline, table, timezone), each metric row
// ([Namespace, MetricName, DimensionName, DimensionValue..., {rendering properties}] or
// [{expression, id, label}]) and the rendering properties (color, label, period, stat, visible,
// yAxis, id starting with a lowercase letter, accountId, region). Widget types other than metric and
// text are accepted only as objects (this program writes none). AWS publishes no machine-readable
// schema; where the doc says nothing, the schema allows nothing (additionalProperties: false), so a
// property the doc does not list fails the test.
import Ajv, { ValidateFunction } from "ajv";

const STAT = { type: "string", pattern: "^(SampleCount|Average|Sum|Minimum|Maximum|p\\d{1,2}(\\.\\d+)?)$" };
const PERIOD = { type: "integer", minimum: 60, multipleOf: 60 };
const METRIC_ID = { type: "string", pattern: "^[a-z][A-Za-z0-9_]*$" };

const rendering = {
    type: "object",
    additionalProperties: false,
    properties: {
        color: { type: "string", pattern: "^#[0-9a-fA-F]{6}$" },
        label: { type: "string" },
        period: PERIOD,
        stat: STAT,
        visible: { type: "boolean" },
        yAxis: { enum: ["left", "right"] },
        id: METRIC_ID,
        accountId: { type: "string" },
        region: { type: "string" },
    },
};

const expressionRow = {
    type: "array",
    minItems: 1,
    maxItems: 1,
    items: [
        {
            type: "object",
            required: ["expression"],
            additionalProperties: false,
            properties: { expression: { type: "string", minLength: 1 }, label: { type: "string" }, id: METRIC_ID },
        },
    ],
};

const metricRow = {
    type: "array",
    minItems: 2,
    items: [{ type: "string", minLength: 1 }, { type: "string", minLength: 1 }],
    additionalItems: { anyOf: [{ type: "string" }, rendering] },
};

const yAxisSide = {
    type: "object",
    additionalProperties: false,
    properties: { label: { type: "string" }, min: { type: "number" }, max: { type: "number" }, showUnits: { type: "boolean" } },
};

const metricProperties = {
    type: "object",
    required: ["region"],
    additionalProperties: false,
    properties: {
        accountId: { type: "string" },
        annotations: { type: "object" },
        liveData: { type: "boolean" },
        legend: { type: "object", additionalProperties: false, properties: { position: { enum: ["right", "bottom", "hidden"] } } },
        metrics: { type: "array", maxItems: 500, items: { anyOf: [expressionRow, metricRow] } },
        period: PERIOD,
        region: { type: "string", minLength: 1 },
        sparkline: { type: "boolean" },
        stacked: { type: "boolean" },
        stat: STAT,
        table: { type: "object" },
        timezone: { type: "string", pattern: "^[+-]\\d{4}$" },
        title: { type: "string" },
        view: { enum: ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"] },
        yAxis: { type: "object", additionalProperties: false, properties: { left: yAxisSide, right: yAxisSide } },
    },
};

const textProperties = {
    type: "object",
    required: ["markdown"],
    additionalProperties: false,
    properties: { markdown: { type: "string" }, background: { enum: ["solid", "transparent"] } },
};

const DASHBOARD_BODY_SCHEMA = {
    type: "object",
    required: ["widgets"],
    additionalProperties: false,
    properties: {
        widgets: {
            type: "array",
            maxItems: 500,
            items: {
                type: "object",
                required: ["type", "properties"],
                additionalProperties: false,
                dependencies: { x: ["y"], y: ["x"] },
                properties: {
                    type: { enum: ["metric", "text", "log", "alarm", "explorer"] },
                    x: { type: "integer", minimum: 0, maximum: 23 },
                    y: { type: "integer", minimum: 0 },
                    width: { type: "integer", minimum: 1, maximum: 24 },
                    height: { type: "integer", minimum: 1, maximum: 1000 },
                    properties: { type: "object" },
                },
                allOf: [
                    { if: { properties: { type: { const: "metric" } } }, then: { properties: { properties: metricProperties } } },
                    { if: { properties: { type: { const: "text" } } }, then: { properties: { properties: textProperties } } },
                ],
            },
        },
        variables: { type: "array", maxItems: 25 },
        start: { type: "string", pattern: "^(-P|-PT|\\d{4}-)" },
        end: { type: "string" },
        periodOverride: { enum: ["auto", "inherit"] },
    },
    dependencies: { end: ["start"] },
};

let compiled: ValidateFunction | undefined;

/** ajv's errors for a body, as readable lines; empty when the body fits the documented structure. */
export function dashboardBodyErrors(body: unknown): string[] {
    compiled ??= new Ajv({ allErrors: true, strict: false }).compile(DASHBOARD_BODY_SCHEMA);
    return compiled(body) ? [] : (compiled.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}
