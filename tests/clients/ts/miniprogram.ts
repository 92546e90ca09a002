// A mini-program-style client typed by the types openapi-typescript generates from
// openapi/openapi.json (`frontline.d.ts`, made by `npm run check`). It signs in, reads the
// to-do list, drafts and files a participation, and handles problems: if the spec and this
// code disagree on a field, `tsc --noEmit` fails.
import type { components, paths } from "./frontline";

type Schemas = components["schemas"];
type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;
type Ok<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { "application/json": infer R } } };
}
  ? R
  : never;

// What the WeChat runtime offers (wx.request), reduced to what this example uses.
declare const wx: {
  request(options: {
    url: string;
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
    data?: unknown;
    header?: Record<string, string>;
    success(res: { statusCode: number; data: unknown; header: Record<string, string> }): void;
    fail(err: { errMsg: string }): void;
  }): void;
  getStorageSync(key: string): string;
  setStorageSync(key: string, value: string): void;
};

const BASE = "https://frontline.beilin.gov.cn";

class ProblemError extends Error {
  constructor(readonly problem: Schemas["Problem"]) {
    super(problem.detail);
  }
}

function call<T>(method: "GET" | "POST", path: string, data?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    wx.request({
      url: BASE + path,
      method,
      data,
      header: {
        Authorization: `Bearer ${wx.getStorageSync("access_token")}`,
        "Accept-Language": "zh",
      },
      success: (res) =>
        res.statusCode < 300 ? resolve(res.data as T) : reject(new ProblemError(res.data as Schemas["Problem"])),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

export async function signIn(username: string, password: string): Promise<Schemas["TokenPair"]> {
  const body: Json<"/api/v1/auth/login", "post"> = { username, password };
  const pair = await call<Ok<"/api/v1/auth/login", "post", 200>>("POST", "/api/v1/auth/login", body);
  wx.setStorageSync("access_token", pair.access_token);
  wx.setStorageSync("refresh_token", pair.refresh_token);
  return pair;
}

export async function todo(): Promise<string[]> {
  const list = await call<Ok<"/api/v1/todo", "get", 200>>("GET", "/api/v1/todo");
  return list.items.map((item) => `${item.kind}: ${item.title}${item.due_on ? ` (${item.due_on})` : ""}`);
}

export async function fileComplaintParticipation(unitId: string, day: string): Promise<Schemas["Participation"]> {
  const handling: Schemas["ComplaintHandlingSegment"] = {
    type: "complaint_handling",
    work_order: "12345-20261118-0231",
    approaches: ["direct_coordination", "direct_feedback", "direct_hearing"],
    outcome: "协调商户加装油烟净化设备",
    satisfaction: "satisfied",
    follow_up_needed: true,
    findings: [{ kind: "problem", description: "油烟净化设备尚未验收" }],
  };
  const draft: Json<"/api/v1/participations", "post"> = {
    unit_id: unitId,
    activity: "complaint",
    mode: "regular",
    activity_on: day,
    place: "区12345市民热线服务中心",
    participant: { kind: "head" },
    summary: "局长处投诉",
    segments: [handling],
  };
  const created = await call<Schemas["Participation"]>("POST", "/api/v1/participations", draft);
  const step: Json<"/api/v1/participations/{id}/transitions", "post"> = { action: "file" };
  try {
    return await call<Schemas["Participation"]>("POST", `/api/v1/participations/${created.id}/transitions`, step);
  } catch (e) {
    if (e instanceof ProblemError) {
      // Show each refused field next to its input.
      const fields = (e.problem.errors ?? []).map((f) => `${f.field}: ${f.message}`);
      throw new Error(fields.join("\n") || e.problem.detail);
    }
    throw e;
  }
}
