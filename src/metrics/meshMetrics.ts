import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../config";
import { dashboardName, dashboardUrl, METRICS_NAMESPACE } from "./names";
import { dashboardBodies } from "./render/dashboard";
import { metricFilterDefinitions } from "./render/metricFilters";

export interface MeshMetricsArgs {
    /** Every service of the stack: one dashboard row each. */
    readonly services: readonly ServiceConfig[];
    /** The stack's log group, where every dataplane's access log lines arrive (awslogs). */
    readonly logGroupName: pulumi.Input<string>;
    readonly region: string;
    /** Stack and project name the dashboard is named after; default: the running stack's. */
    readonly stack?: string;
    readonly project?: string;
}

/**
 * Per-colour mesh metrics and the stack's dashboard: four CloudWatch Logs metric filters on the
 * stack's log group (requests, 5xx, gRPC errors, latency; service and colour come from each access
 * log line) and one dashboard per 100 services. Nothing here depends on `traffic`.
 */
export class MeshMetrics extends pulumi.ComponentResource {
    /** The dashboards' names and console addresses, first page first. */
    public readonly dashboardNames: string[];
    public readonly dashboardUrls: string[];

    constructor(name: string, args: MeshMetricsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:metrics:MeshMetrics", name, {}, opts);
        const stack = args.stack ?? pulumi.getStack();
        const project = args.project ?? pulumi.getProject();

        for (const filter of metricFilterDefinitions()) {
            new aws.cloudwatch.LogMetricFilter(
                `${name}-${filter.id}`,
                {
                    name: `bluegreen-mesh-${filter.id}`,
                    logGroupName: args.logGroupName,
                    pattern: filter.pattern,
                    metricTransformation: {
                        name: filter.metricName,
                        namespace: METRICS_NAMESPACE,
                        value: filter.value,
                        unit: filter.unit,
                        dimensions: { ...filter.dimensions },
                    },
                },
                { parent: this },
            );
        }

        const bodies = dashboardBodies(args.services, { stack, region: args.region });
        this.dashboardNames = bodies.map((_, page) => dashboardName(project, stack) + (page === 0 ? "" : `-${page + 1}`));
        this.dashboardUrls = this.dashboardNames.map((dashboard) => dashboardUrl(args.region, dashboard));
        bodies.forEach((body, page) => {
            new aws.cloudwatch.Dashboard(`${name}-dashboard${page === 0 ? "" : `-${page + 1}`}`, { dashboardName: this.dashboardNames[page], dashboardBody: JSON.stringify(body) }, { parent: this });
        });
        this.registerOutputs({ dashboardNames: this.dashboardNames, dashboardUrls: this.dashboardUrls });
    }
}
