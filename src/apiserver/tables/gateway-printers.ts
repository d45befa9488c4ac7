/**
 * gateway.networking.k8s.io/v1 printers: the additionalPrinterColumns of the Gateway API v1.2
 * CRDs, rendered as the CRD table convertor does (first JSONPath result; arrays printed as JSON;
 * nil when the path finds nothing; the `date` Age column as a duration).
 */
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { Gateway, GatewayClass, HTTPRoute } from '../../api/strategies/gateway/types.js';
import { column, nameColumn } from './format.js';
import { translateTimestampSince } from './duration.js';
import type { Printer } from './printer.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: Date): string => translateTimestampSince(o.metadata?.creationTimestamp, now);
const name = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';
const ageColumn = () => column('Age', 'date', 'meta.ObjectMeta.creationTimestamp');
/** `.status.conditions[?(@.type=="T")].status`. */
const conditionStatus = (cs: readonly Condition[] | undefined, type: string): string | null => cs?.find((c) => c.type === type)?.status ?? null;
/** A JSONPath string-column cell of any value: strings verbatim, other values as JSON. */
const cell = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

export const gatewayClassPrinter: Printer<GatewayClass> = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'ControllerName is the name of the controller that is managing Gateways of this class.'),
    column('Accepted', 'string', 'Whether the controller accepted the class.'),
    ageColumn(),
    column('Description', 'string', 'Description helps describe a GatewayClass with more details.', { priority: 1 }),
  ],
  cells: (gc, now) => [name(gc), cell(gc.spec?.controllerName), conditionStatus(gc.status?.conditions, 'Accepted'), age(gc, now), cell(gc.spec?.description)],
};

export const gatewayPrinter: Printer<Gateway> = {
  columns: [
    nameColumn(),
    column('Class', 'string', 'GatewayClassName used for this Gateway.'),
    column('Address', 'string', 'Addresses the Gateway is reachable at.'),
    column('Programmed', 'string', 'Whether the Gateway is programmed into the data plane.'),
    ageColumn(),
  ],
  cells: (gw, now) => [name(gw), cell(gw.spec?.gatewayClassName), cell(gw.status?.addresses?.[0]?.value), conditionStatus(gw.status?.conditions, 'Programmed'), age(gw, now)],
};

export const httpRoutePrinter: Printer<HTTPRoute> = {
  columns: [nameColumn(), column('Hostnames', 'string', 'Hostnames matched against the Host header.'), ageColumn()],
  cells: (r, now) => [name(r), cell(r.spec?.hostnames), age(r, now)],
};

/** ReferenceGrant (v1beta1): NAME and AGE only. */
export const referenceGrantPrinter: Printer<{ metadata?: { name?: string; creationTimestamp?: string } }> = {
  columns: [nameColumn(), ageColumn()],
  cells: (g, now) => [name(g), age(g, now)],
};
