/** Contract v1.1 D, the live show: song requests and the on-air queue (REST operations and events). */
import { z } from 'zod';
import {
  messageIdSchema,
  onAirOrderRequestSchema,
  onAirQueueSchema,
  onAirStateRequestSchema,
  requestIdSchema,
  requestListQuerySchema,
  requestListResponseSchema,
  requestStatusRequestSchema,
  requestStatusResponseSchema,
  type broadcasterServerEvents,
  type listenerServerEvents,
} from '../../../src/protocol/events.js';
import { example } from '../schema-set.js';
import type { EventDoc } from './events.js';
import { ex } from './examples.js';
import type { RestOperation } from './rest.js';

type Input<S extends z.ZodType> = z.input<S>;

const requestMessage = {
  messageId: '1043',
  sessionId: ex.sessionId,
  direction: 'listener' as const,
  from: ex.listenerName,
  text: 'Buat teman-teman kantor ya kak!',
  createdAt: '2025-06-01T07:16:10.220Z',
  request: { title: 'Kangen', artist: 'Dewa 19' },
};

const requestGroup = {
  requestId: '1043',
  title: 'Kangen',
  artist: 'Dewa 19',
  count: 2,
  status: 'open' as const,
  messageIds: ['1043', '1050'],
};

const queueExample = example(
  onAirQueueSchema,
  {
    revision: 12,
    items: [
      {
        message: {
          messageId: ex.listenerMessageId,
          sessionId: ex.sessionId,
          direction: 'listener',
          from: ex.listenerName,
          text: ex.listenerText,
          createdAt: ex.listenerCreatedAt,
        },
        state: 'on_air',
        by: ex.broadcasterName,
        city: ex.city,
      },
      { message: requestMessage, state: 'queued', by: ex.broadcasterName, city: ex.city },
    ],
  },
  'on-air queue',
);

const adminErrors = ['unauthorized', 'forbidden', 'origin_forbidden', 'internal_error', 'unavailable'] as const;

export const liveShowOperations: RestOperation[] = [
  {
    method: 'get',
    path: '/livechat/admin/requests',
    operationId: 'listSongRequests',
    tag: 'broadcaster',
    summary: 'Song requests, grouped by song',
    description:
      'Requests (listener messages sent with `request`) grouped by song: title and artist compared case-, accent- and ' +
      'space-insensitively (the key is computed when the request is stored). `count` is how many listeners (sessions) ' +
      'asked, `messageIds` the request messages in stored order; `title` and `artist` are as the first listener typed ' +
      'them. Most asked first, then the earliest asked. A song asked for again after its group was played or skipped ' +
      'starts a new open group. `played` and `skipped` list the 200 most recently changed groups.',
    admin: true,
    parameters: [
      {
        name: 'status',
        in: 'query',
        schema: requestListQuerySchema.shape.status,
        required: false,
        example: 'open',
      },
    ],
    success: {
      status: 200,
      description: 'The groups, most asked first.',
      name: 'SongRequestList',
      schema: requestListResponseSchema,
      example: example(requestListResponseSchema, { requests: [requestGroup] }, 'GET /livechat/admin/requests'),
    },
    errors: ['invalid_payload', ...adminErrors],
    notes: { invalid_payload: '`status` is not `open`, `played` or `skipped`.' },
  },
  {
    method: 'post',
    path: '/livechat/admin/requests/{requestId}',
    operationId: 'setSongRequestStatus',
    tag: 'broadcaster',
    summary: 'Mark a song request played, skipped or open',
    description:
      'Sets the status of a group. Each listener who asked gets `request:update {"messageId","status"}` (the widget shows ' +
      '"Lagu permintaan Anda diputar" for `played`), and every broadcaster `request:update {"requestId","status","count"}`, ' +
      'on every instance. Requests for the song that arrived since the group was listed join it. `open` puts a played or ' +
      'skipped group back on the list (an undo).',
    admin: true,
    parameters: [{ name: 'requestId', in: 'path', schema: requestIdSchema, required: true, example: '1043' }],
    request: {
      name: 'SongRequestStatus',
      schema: requestStatusRequestSchema,
      example: example(requestStatusRequestSchema, { status: 'played' }, 'POST /livechat/admin/requests/{requestId}'),
    },
    success: {
      status: 200,
      description: 'The group with its new status.',
      schema: requestStatusResponseSchema,
      example: example(requestStatusResponseSchema, { ...requestGroup, status: 'played' }, 'request status response'),
    },
    errors: ['invalid_payload', 'not_found', 'payload_too_large', ...adminErrors],
    notes: {
      invalid_payload: '`status` is missing or not `open`, `played` or `skipped`.',
      not_found: '`requestId` names no group (it must be the `requestId` listed, the first request of the group).',
    },
  },
  {
    method: 'get',
    path: '/livechat/admin/onair',
    operationId: 'getOnAirQueue',
    tag: 'broadcaster',
    summary: 'The on-air queue',
    description:
      'Messages picked to be read out on air, in queue order, each `queued`, `on_air` (at most one) or `used`, with the ' +
      "broadcaster who last changed it and the listener's city. `revision` rises with every change.",
    admin: true,
    success: {
      status: 200,
      description: 'The whole queue.',
      name: 'OnAirQueue',
      schema: onAirQueueSchema,
      example: queueExample,
    },
    errors: [...adminErrors],
  },
  {
    method: 'post',
    path: '/livechat/admin/messages/{messageId}/onair',
    operationId: 'setOnAirState',
    tag: 'broadcaster',
    summary: "Change a message's place in the on-air queue",
    description:
      '`queued` adds a listener message at the end of the queue (or puts a used one back); `on_air` puts it on air, and the ' +
      'message on air before becomes `used`; `used` marks it read; `removed` takes it out of the queue. Answers the whole ' +
      'queue; every broadcaster gets it as `onair:update`, and the `/onair` screens show the message on air, on every instance.',
    admin: true,
    parameters: [
      { name: 'messageId', in: 'path', schema: messageIdSchema, required: true, example: ex.listenerMessageId },
    ],
    request: {
      name: 'OnAirStateRequest',
      schema: onAirStateRequestSchema,
      example: example(onAirStateRequestSchema, { state: 'on_air' }, 'POST /livechat/admin/messages/{messageId}/onair'),
    },
    success: { status: 200, description: 'The whole queue.', schema: onAirQueueSchema, example: queueExample },
    errors: ['invalid_payload', 'not_found', 'payload_too_large', ...adminErrors],
    notes: {
      invalid_payload:
        "`state` is not one of the four, or the message is a broadcaster's (only listener messages are read out).",
      not_found: 'No message with this messageId.',
    },
  },
  {
    method: 'put',
    path: '/livechat/admin/onair/order',
    operationId: 'reorderOnAirQueue',
    tag: 'broadcaster',
    summary: 'Reorder the on-air queue',
    description:
      'The listed items first, in that order, then the items left out in their order; ids not in the queue are ignored ' +
      '(another broadcaster may have removed one meanwhile). Answers the whole queue, sent to every broadcaster as `onair:update`.',
    admin: true,
    request: {
      name: 'OnAirOrder',
      schema: onAirOrderRequestSchema,
      example: example(
        onAirOrderRequestSchema,
        { messageIds: ['1043', ex.listenerMessageId] },
        'PUT /livechat/admin/onair/order',
      ),
    },
    success: { status: 200, description: 'The whole queue.', schema: onAirQueueSchema, example: queueExample },
    errors: ['invalid_payload', 'payload_too_large', ...adminErrors],
    notes: { invalid_payload: '`messageIds` is missing, holds something that is not a messageId, or repeats one.' },
  },
  {
    method: 'get',
    path: '/livechat/onair/events',
    operationId: 'onAirFeed',
    tag: 'operations',
    summary: 'Live feed of the on-air display',
    description:
      'Server-Sent Events (`text/event-stream`) for the `/onair` page: right away, and after every change, an `onair` event ' +
      'whose data is `{"revision","onAir":{"messageId","name","city","text","request"?}|null}` — the message on air only, ' +
      'never the rest of the queue. Opens with the read-only key `LIVECHAT_ONAIR_KEY` (header `X-Onair-Key`, or `?key=`) ' +
      'or an admin bearer token. An update with a lower `revision` than one shown is older: drop it. A comment line is ' +
      'sent every 15 s; reconnect after a drop. At most 200 streams per instance.',
    success: {
      status: 200,
      description: 'The stream.',
      schema: z.string().describe('Server-Sent Events'),
      example:
        'retry: 1000\n\nevent: onair\ndata: {"revision":12,"onAir":{"messageId":"1041","name":"Sari","city":"Bandung","text":"Halo kak Rina!"}}\n\n',
      mediaType: 'text/event-stream',
    },
    errors: ['unauthorized', 'forbidden', 'rate_limited', 'origin_forbidden'],
    notes: {
      unauthorized:
        'Neither a valid key nor a valid admin token (a key is refused while `LIVECHAT_ONAIR_KEY` is unset).',
      rate_limited: 'This instance already holds 200 display streams.',
    },
  },
];

export const liveShowListenerServerDocs: {
  'request:update': EventDoc<Input<(typeof listenerServerEvents)['request:update']>>;
} = {
  'request:update': {
    summary: "A broadcaster changed the status of this listener's song request.",
    description:
      'Sent to every open connection of the session for each of its requests in the group: `played` (show "Lagu permintaan ' +
      'Anda diputar"), `skipped`, or `open` again. Not replayed: a client that was offline does not get it later.',
    example: { messageId: '1043', status: 'played' },
  },
};

export const liveShowBroadcasterServerDocs: {
  'request:update': EventDoc<Input<(typeof broadcasterServerEvents)['request:update']>>;
  'onair:update': EventDoc<Input<(typeof broadcasterServerEvents)['onair:update']>>;
} = {
  'request:update': {
    summary: 'A group of song requests got a new status.',
    description:
      'After `POST /livechat/admin/requests/{requestId}` by any broadcaster, on any instance. New requests arrive as ' +
      '`message:new` with `request`; reload `GET /livechat/admin/requests` to regroup them.',
    example: { requestId: '1043', status: 'played', count: 2 },
  },
  'onair:update': {
    summary: 'The on-air queue changed: the whole queue.',
    description:
      'After every queue change by any broadcaster, on any instance: the queue in order, as `GET /livechat/admin/onair` ' +
      'answers. Updates from two instances may arrive out of order: keep the one with the highest `revision`.',
    example: queueExample,
  },
};
