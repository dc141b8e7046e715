/** Shared by the client tests: nock only while a live suite runs, and catching technical errors. */
import nock from 'nock'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { OutsideServiceError } from '../../../lib/clients/http.ts'

// nock intercepts from import on; the test files share one process, so keep it off until a suite runs.
nock.restore()

/**
 * A suite whose tests talk to nock instead of the network (loopback stays open for the engine
 * and PostgreSQL used by other suites in the same process); nock is off again afterwards.
 */
export function liveSuite(name: string) {
  const live = suite(name)
  live.before(() => {
    if (!nock.isActive()) nock.activate()
    nock.disableNetConnect()
    nock.enableNetConnect('127.0.0.1')
  })
  live.after.each(() => {
    nock.abortPendingRequests()
    nock.cleanAll()
  })
  live.after(() => {
    nock.enableNetConnect()
    nock.restore()
  })
  return live
}

/** The technical error `call` must reject with. */
export async function technicalError(call: () => Promise<unknown>): Promise<OutsideServiceError> {
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  assert.instance(error, OutsideServiceError, 'expected a technical error')
  return error as OutsideServiceError
}
