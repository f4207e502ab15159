// mittwald's JavaScript client (@mittwald/api-client) against the mStudio sandbox: every operation it serves.
// Run by tests/test_official_client_mstudio.py with MSTUDIO_BASE_URL, MSTUDIO_API_TOKEN and NODE_EXTRA_CA_CERTS
// (the sandbox's CA). Event consistency handling is on, as the client offers it: reads after a write send
// if-event-reached with the write's etag. Prints the operations it called, one per line; exits 1 on the first
// answer that is not the one the operation documents.
import { MittwaldAPIV2Client } from "@mittwald/api-client";

const client = MittwaldAPIV2Client.newWithToken(process.env.MSTUDIO_API_TOKEN).withEventConsistencyHandling();
client.axios.defaults.baseURL = process.env.MSTUDIO_BASE_URL + "/";

async function call(name, fn, status) {
  const response = await fn();
  if (response.status !== status) {
    throw new Error(`${name}: expected ${status}, got ${response.status} ${JSON.stringify(response.data)}`);
  }
  console.log(`${name} ${response.status}`);
  return response;
}

const user = await call("user.getUser", () => client.user.getUser({ userId: "self" }), 200);
const session = await call("user.getCurrentSessionStatus", () => client.user.getCurrentSessionStatus(), 200);
if (session.data.userId !== user.data.userId) throw new Error("the session's user is not users/self");

const description = `js client ${Date.now()}`;
await call("user.createApiToken", () => client.user.createApiToken({ data: { description, roles: ["api_read"] } }), 201);
const tokens = await call("user.listApiTokens", () => client.user.listApiTokens(), 200);
const token = tokens.data.find((t) => t.description === description);
if (!token || "token" in token) throw new Error("the new token is not listed, or listed with its secret");
await call("user.getApiToken", () => client.user.getApiToken({ apiTokenId: token.apiTokenId }), 200);
await call("user.editApiToken", () => client.user.editApiToken({ apiTokenId: token.apiTokenId, data: { description: "renamed" } }), 204);
const renamed = await call("user.getApiToken", () => client.user.getApiToken({ apiTokenId: token.apiTokenId }), 200);
if (renamed.data.description !== "renamed") throw new Error("the edit did not apply");
await call("user.deleteApiToken", () => client.user.deleteApiToken({ apiTokenId: token.apiTokenId }), 204);
await call("user.getApiToken", () => client.user.getApiToken({ apiTokenId: token.apiTokenId }), 404);

const publicKey = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIjs${Date.now()} js@client`;
await call("user.createSshKey", () => client.user.createSshKey({ data: { publicKey } }), 201);
const keys = await call("user.listSshKeys", () => client.user.listSshKeys(), 200);
const key = keys.data.sshKeys.find((k) => publicKey.includes(k.key));
if (!key) throw new Error("the new SSH key is not listed");
await call("user.getSshKey", () => client.user.getSshKey({ sshKeyId: key.sshKeyId }), 200);
await call("user.editSshKey", () => client.user.editSshKey({ sshKeyId: key.sshKeyId, data: { comment: "edited" } }), 204);
await call("user.deleteSshKey", () => client.user.deleteSshKey({ sshKeyId: key.sshKeyId }), 204);

const projects = await call("project.listProjects", () => client.project.listProjects({ queryParameters: { limit: 5, skip: 5 } }), 200);
if (projects.headers["x-pagination-totalcount"] !== "13" || projects.data.length !== 5) throw new Error("bad page");
await call("project.getProject", () => client.project.getProject({ projectId: projects.data[0].id }), 200);
