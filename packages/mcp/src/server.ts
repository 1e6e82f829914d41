import { compareNatural, type Scratchpad, type ScratchpadState } from 'scratchpad-store';
import { createTools, type ToolPermissions, type Tools } from 'scratchpad-store/tools';
import { createRequire } from 'node:module';
// The low-level `Server`, not `McpServer`: `McpServer.registerTool` takes zod schemas and validates arguments itself,
// which would replace the tools' JSON Schemas and their model-facing error texts, and it has no handler for
// resources/subscribe. The SDK marks `Server` for such advanced uses.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { annotationsFor } from './annotations.js';
import { checkPageSize, compareAddresses, decodeCursor, encodeCursor } from './paging.js';
import { padUri, parseUri, sectionUri, type ResourceAddress } from './uri.js';

export interface McpServerOptions {
  /**
   * Attribute every change to this agent. Without it, changes are attributed to the name the client gives in
   * `initialize` (`clientInfo.name`, such as 'claude-ai' or 'cursor-vscode'), so that several hosts sharing a session
   * can be told apart in the history.
   */
  readonly agent?: string;
  /** The agent name when the client gives no usable name. Default 'mcp-client'. */
  readonly defaultAgent?: string;
  /** What the connected agent may do, as for `createTools`; pads it may not touch are hidden from resources too. */
  readonly allow?: ToolPermissions;
  /** Diff lines shown per diff in tool results. Default 50. */
  readonly maxDiffLines?: number;
  /** Reported to the client at initialization. Default 'scratchpad-store' and the package version. */
  readonly name?: string;
  readonly version?: string;
  /** Instructions for the model, sent at initialization. Default: a short guide to the tools and resources. */
  readonly instructions?: string;
  /**
   * Resources per resources/list page. Default 100. A longer list ends with `nextCursor`, which the client passes
   * back as `cursor` for the next page; a cursor this server did not give is a JSON-RPC error -32602.
   */
  readonly pageSize?: number;
}

/** One MCP server for one connection: the SDK's `Server` handles one transport at a time. */
export interface ScratchpadMcpServer {
  /** The SDK server, for what this wrapper does not cover (logging, custom handlers before `connect`). */
  readonly server: Server;
  /** Who changes are attributed to; undefined until the client has initialized (unless `agent` was given). */
  readonly agent: string | undefined;
  connect(transport: Transport): Promise<void>;
  /** Closes the connection and stops watching the scratchpad. The scratchpad itself stays open. */
  close(): Promise<void>;
}

const MIME = 'text/markdown';
// Not in the SDK's ErrorCode enum; the MCP specification assigns -32002 to "Resource not found".
const RESOURCE_NOT_FOUND = -32002;
const MAX_AGENT_LENGTH = 64;

const DEFAULT_INSTRUCTIONS =
  'Shared scratchpads: named pads made of named text sections, with a version history of every change. ' +
  'Use scratchpad_list to find pads and sections, scratchpad_read before changing a section, and pass the version you ' +
  'read as expected_version when you write or edit, so that you never overwrite work of others. scratchpad_changes shows ' +
  'what other agents changed since you last looked. Each pad is also a resource, scratchpad://<pad>, and each section ' +
  'scratchpad://<pad>/<section>.';

const TEMPLATES: ResourceTemplate[] = [
  {
    uriTemplate: 'scratchpad://{pad}',
    name: 'pad',
    title: 'Scratchpad pad',
    description: 'A whole pad rendered as Markdown, one heading per section. Names are percent-encoded.',
    mimeType: MIME,
  },
  {
    uriTemplate: 'scratchpad://{pad}/{section}',
    name: 'section',
    title: 'Scratchpad section',
    description: "One section's current text. Names are percent-encoded, so a '/' in a name is %2F.",
    mimeType: MIME,
  },
];

/**
 * Serves a scratchpad over the Model Context Protocol: the tools of `createTools` with their schemas and texts, and
 * every pad and section as a subscribable resource.
 *
 * ```ts
 * const mcp = createMcpServer(sp);
 * await mcp.connect(new StdioServerTransport());
 * ```
 */
export function createMcpServer(sp: Scratchpad, options: McpServerOptions = {}): ScratchpadMcpServer {
  const forced = options.agent === undefined ? undefined : requireName(options.agent, 'agent');
  const fallback = options.defaultAgent === undefined ? 'mcp-client' : requireName(options.defaultAgent, 'defaultAgent');
  const visible = padFilter(options.allow?.pads);
  const pageSize = checkPageSize(options.pageSize);

  const server = new Server(
    { name: options.name ?? 'scratchpad-store', version: options.version ?? packageVersion() },
    {
      capabilities: { tools: { listChanged: false }, resources: { subscribe: true, listChanged: true } },
      instructions: options.instructions ?? DEFAULT_INSTRUCTIONS,
    },
  );

  // Created on first use, after `initialize`, so that the client's name is known. One instance per connection keeps
  // what this agent has seen, for scratchpad_changes.
  let tools: Tools | undefined;
  let agent: string | undefined = forced;
  function toolsFor(): Tools {
    if (tools === undefined) {
      agent ??= agentName(server.getClientVersion()?.name) ?? fallback;
      tools = createTools(sp, {
        agent,
        ...(options.allow === undefined ? {} : { allow: options.allow }),
        ...(options.maxDiffLines === undefined ? {} : { maxDiffLines: options.maxDiffLines }),
      });
    }
    return tools;
  }

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: toolsFor().definitions.map(
      (definition): Tool => ({
        name: definition.name,
        title: annotationsFor(definition).title,
        description: definition.description,
        inputSchema: definition.inputSchema,
        annotations: annotationsFor(definition),
      }),
    ),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    // Unknown tools, refusals and bad arguments all come back as results with isError: the model can read them and
    // try again, which a JSON-RPC error would not let it do.
    const { text, isError } = await toolsFor().run(request.params.name, request.params.arguments ?? {});
    return { content: [{ type: 'text', text }], isError };
  });

  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const cursor = request.params?.cursor;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    await sp.ready;
    const { resources, last } = listResources(after, pageSize);
    return { resources, ...(last === undefined ? {} : { nextCursor: encodeCursor(last) }) };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: TEMPLATES }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    await sp.ready;
    const { uri } = request.params;
    const address = addressOf(uri);
    if (address.section === undefined) {
      if (sp.sections(address.pad).length === 0) throw notFound(uri, `there is no pad '${address.pad}'`);
      return { contents: [{ uri, mimeType: MIME, text: sp.render(address.pad) }] };
    }
    const current = sp.get(address.pad, address.section);
    if (current === undefined) throw notFound(uri, `there is no section '${address.section}' in pad '${address.pad}'`);
    return {
      contents: [
        {
          uri,
          mimeType: MIME,
          text: current.content,
          _meta: { version: current.version, updatedBy: current.updatedBy, ...isoTime('updatedAt', current.updatedAt) },
        },
      ],
    };
  });

  // Canonical URI -> the URI as the client spelled it, which is what its notifications must carry.
  const subscriptions = new Map<string, string>();

  server.setRequestHandler(SubscribeRequestSchema, (request) => {
    const address = addressOf(request.params.uri);
    // A pad or section that does not exist yet may be subscribed to: the client hears when it appears.
    subscriptions.set(canonical(address), request.params.uri);
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    const address = parseUri(request.params.uri);
    if (address !== undefined) subscriptions.delete(canonical(address));
    return {};
  });

  function addressOf(uri: string): ResourceAddress {
    const address = parseUri(uri);
    if (address === undefined) {
      throw new McpError(RESOURCE_NOT_FOUND, `Not a scratchpad URI: ${uri}. Use scratchpad://<pad> or scratchpad://<pad>/<section>, names percent-encoded.`, { uri });
    }
    if (!visible(address.pad)) throw notFound(uri, `pad '${address.pad}' is not available to this agent`);
    return address;
  }

  /**
   * Up to `limit` resources after `after` in listing order, and `last`, the address of the last one, when more
   * follow. Pads and sections before the cursor are skipped without describing them.
   */
  function listResources(after: ResourceAddress | undefined, limit: number): { resources: Resource[]; last?: ResourceAddress } {
    const resources: Resource[] = [];
    let last: ResourceAddress | undefined;
    const take = (address: ResourceAddress): 'skip' | 'full' | 'take' => {
      if (after !== undefined && compareAddresses(address, after) <= 0) return 'skip';
      if (resources.length === limit) return 'full';
      last = address;
      return 'take';
    };
    for (const pad of sp.pads()) {
      if (!visible(pad)) continue;
      // A pad before the cursor's pad lies wholly on an earlier page.
      if (after !== undefined && compareNatural(pad, after.pad) < 0) continue;
      const sections = sp.sections(pad);
      const padTaken = take({ pad });
      if (padTaken === 'full') return { resources, last: last! };
      if (padTaken === 'take') resources.push({
        uri: padUri(pad),
        name: pad,
        title: `Pad ${pad}`,
        description: `Pad '${pad}' rendered as Markdown: ${sections.length} section${sections.length === 1 ? '' : 's'} (${sections.join(', ')}).`,
        mimeType: MIME,
      });
      for (const section of sections) {
        const current = sp.get(pad, section);
        if (current === undefined) continue;
        const sectionTaken = take({ pad, section });
        if (sectionTaken === 'full') return { resources, last: last! };
        if (sectionTaken === 'take') resources.push({
          uri: sectionUri(pad, section),
          name: `${pad}/${section}`,
          title: `${pad} / ${section}`,
          description: `Section '${section}' of pad '${pad}', version ${current.version}, last written by ${current.updatedBy}.`,
          mimeType: MIME,
          size: new TextEncoder().encode(current.content).length,
          annotations: isoTime('lastModified', current.updatedAt),
        });
      }
    }
    return { resources };
  }

  // ------------------------------------------------------------------ notifications from the store

  let initialized = false;
  let closed = false;
  const pending = { pads: new Set<string>(), sections: new Set<string>(), listChanged: false, scheduled: false };

  server.oninitialized = () => {
    initialized = true;
  };

  const unsubscribe = sp.store.subscribe((state, previous) => {
    if (closed || !initialized) return;
    collectChanges(state, previous);
    // A burst of writes in one tick (deletePad, group commits) becomes one notification per resource.
    if (!pending.scheduled && (pending.pads.size > 0 || pending.listChanged)) {
      pending.scheduled = true;
      queueMicrotask(flushNotifications);
    }
  });

  function collectChanges(state: ScratchpadState, previous: ScratchpadState): void {
    if (state.pads === previous.pads) return;
    // Updates are immutable and keep the identity of everything untouched, so identity tells what changed.
    for (const pad of new Set([...state.pads.keys(), ...previous.pads.keys()])) {
      const before = previous.pads.get(pad);
      const after = state.pads.get(pad);
      if (before === after || !visible(pad)) continue;
      pending.pads.add(pad);
      if (before === undefined || after === undefined) pending.listChanged = true;
      for (const section of new Set([...(after?.keys() ?? []), ...(before?.keys() ?? [])])) {
        const was = before?.get(section);
        const is = after?.get(section);
        if (was === is) continue;
        pending.sections.add(canonical({ pad, section }));
        if (was === undefined || is === undefined) pending.listChanged = true;
      }
    }
  }

  function flushNotifications(): void {
    const pads = [...pending.pads];
    const sections = [...pending.sections];
    const listChanged = pending.listChanged;
    pending.pads.clear();
    pending.sections.clear();
    pending.listChanged = false;
    pending.scheduled = false;
    if (closed) return;
    for (const key of [...pads.map((pad) => canonical({ pad })), ...sections]) {
      const uri = subscriptions.get(key);
      if (uri !== undefined) notify(server.sendResourceUpdated({ uri }));
    }
    if (listChanged) notify(server.sendResourceListChanged());
  }

  function notify(sending: Promise<void>): void {
    // A client that went away mid-burst is not this server's failure; the transport reports it through onclose.
    sending.catch((error: unknown) => server.onerror?.(error instanceof Error ? error : new Error(String(error))));
  }

  // Reached twice on an explicit close (close(), then the transport's onclose): once is enough.
  const stop = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
  };
  const previousOnClose = server.onclose;
  server.onclose = () => {
    stop();
    previousOnClose?.();
  };

  return {
    server,
    get agent() {
      return agent;
    },
    connect: (transport) => server.connect(transport),
    close: async () => {
      stop();
      await server.close();
    },
  };
}

function canonical(address: ResourceAddress): string {
  return address.section === undefined ? padUri(address.pad) : sectionUri(address.pad, address.section);
}

function notFound(uri: string, why: string): McpError {
  return new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}: ${why}.`, { uri });
}

function padFilter(pads: ToolPermissions['pads']): (pad: string) => boolean {
  if (pads === undefined) return () => true;
  if (typeof pads === 'function') {
    return (pad) => {
      try {
        return pads(pad) === true;
      } catch {
        return false; // as the tools do: a predicate that throws hides the pad rather than crashing the server
      }
    };
  }
  return (pad) => pads.includes(pad);
}

/** A client name made fit to be an agent name: no control characters, trimmed, bounded. Undefined when nothing is left. */
export function agentName(clientName: string | undefined): string | undefined {
  if (clientName === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const cleaned = clientName.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  return cleaned === '' ? undefined : cleaned.slice(0, MAX_AGENT_LENGTH);
}

function requireName(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`createMcpServer: options.${what} must be a non-empty string`);
  return value;
}

function packageVersion(): string {
  try {
    // One level up from both src/ and dist/: the package's own package.json.
    const pkg = createRequire(import.meta.url)('../package.json') as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * `{ [key]: ISO time }`, or nothing for a time no Date can show: a row synced from an older server may carry one,
 * and one bad row must not make every resources/list and resources/read fail.
 */
function isoTime<K extends string>(key: K, time: number): Partial<Record<K, string>> {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? {} : ({ [key]: date.toISOString() } as Record<K, string>);
}
