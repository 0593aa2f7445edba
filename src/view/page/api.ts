// The page's calls to the view's server, typed with the shapes the server sends (../types.ts).

import type { CaptureInfoJson, FilterErrorJson, FollowJson, FrameJson, ListPage, RequestErrorJson, SequenceJson } from '../types.ts';

export type ListResult = { ok: true; page: ListPage } | { ok: false; error: FilterErrorJson | RequestErrorJson };

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as T };
}

export async function fetchInfo(): Promise<CaptureInfoJson> {
  return (await getJson<CaptureInfoJson>('/api/info')).body;
}

export async function fetchList(offset: number, limit: number, filter: string): Promise<ListResult> {
  const q = new URLSearchParams({ offset: String(offset), limit: String(limit), filter });
  const { status, body } = await getJson<ListPage | FilterErrorJson | RequestErrorJson>(`/api/list?${q}`);
  if (status === 200) return { ok: true, page: body as ListPage };
  return { ok: false, error: body as FilterErrorJson | RequestErrorJson };
}

export async function fetchFrame(no: number): Promise<FrameJson | RequestErrorJson> {
  return (await getJson<FrameJson | RequestErrorJson>(`/api/frame?no=${no}`)).body;
}

export type FollowResult = FollowJson | RequestErrorJson;

export async function fetchFollow(frame: number, kind: 'tcp' | 'tls' = 'tcp'): Promise<FollowResult> {
  return (await getJson<FollowResult>(`/api/follow?frame=${frame}&kind=${kind}`)).body;
}

export async function fetchSequence(
  offset: number,
  limit: number,
  filter: string,
  by: SequenceJson['by'],
): Promise<SequenceJson | FilterErrorJson | RequestErrorJson> {
  const q = new URLSearchParams({ offset: String(offset), limit: String(limit), filter, by });
  return (await getJson<SequenceJson | FilterErrorJson | RequestErrorJson>(`/api/sequence?${q}`)).body;
}
