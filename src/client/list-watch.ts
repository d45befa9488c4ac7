/** The list and watch calls an informer is built on, and their binding to an ApiClient. */
import type { ApiObject } from '../api/object.js';
import type { ApiClient, ObjectList, WatchEvent } from './api-client.js';
import type { ResourceRef } from './resource-path.js';

export interface ListWatcher<T> {
  /** A complete, consistent list; `metadata.resourceVersion` is where a watch resumes. */
  list(opts: { signal: AbortSignal }): Promise<ObjectList<T>>;
  /**
   * Events after `resourceVersion`. The iterable ends when the server closes the stream or the
   * signal aborts; a watch that cannot start throws (a `StatusError` 410 when too old).
   */
  watch(opts: { resourceVersion: string; timeoutSeconds: number; signal: AbortSignal }): AsyncIterable<WatchEvent<T>>;
}

export interface ListWatchScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the initial list (client-go's pager uses 500). */
  pageSize?: number;
}

/** List (in pages) and watch `resource` through `client`, with bookmarks. */
export function listWatcherFor<T extends ApiObject = ApiObject>(client: ApiClient, resource: ResourceRef, scope: ListWatchScope = {}): ListWatcher<T> {
  const { namespace, labelSelector, fieldSelector } = scope;
  const limit = scope.pageSize ?? 500;
  return {
    async list({ signal }) {
      let page = await client.list<T>(resource, { namespace, labelSelector, fieldSelector, limit, signal });
      const items = [...page.items];
      const resourceVersion = page.metadata?.resourceVersion;
      while (page.metadata?.continue) {
        page = await client.list<T>(resource, { namespace, labelSelector, fieldSelector, limit, continue: page.metadata.continue, signal });
        items.push(...page.items);
      }
      // List items carry no kind; handlers and reconcilers are simpler when they do.
      const kind = page.kind?.endsWith('List') ? page.kind.slice(0, -4) : undefined;
      if (kind) for (const i of items) if (!i.kind) Object.assign(i, { apiVersion: page.apiVersion, kind });
      return { apiVersion: page.apiVersion, kind: page.kind, metadata: { resourceVersion }, items };
    },
    watch({ resourceVersion, timeoutSeconds, signal }) {
      return client.watch<T>(resource, { namespace, labelSelector, fieldSelector, resourceVersion, timeoutSeconds, allowWatchBookmarks: true, signal });
    },
  };
}
