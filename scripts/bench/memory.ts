/** Resident memory of the processes the benchmark involves, sampled from /proc while it runs. */
import { readdir, readFile } from 'node:fs/promises'
import type { Config } from '../../lib/config.ts'
import { clusterStatus } from '../../lib/engine.ts'

/** Resident (VmRSS) and proportional (Pss: shared pages split between sharers) set size in MiB. */
async function memoryOf(pid: number): Promise<{ rss: number; pss: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '')
    const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? rss)
    return { rss: rss / 1024, pss: pss / 1024 }
  } catch {
    return undefined
  }
}

/** PostgreSQL's server processes on this machine (postmaster and backends), when it runs here. */
async function postgresPids(): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')
    if (comm.trim() === 'postgres') pids.push(Number(entry))
  }
  return pids
}

export interface MemorySample {
  /** MiB resident, per engine node; null when its process is not on this machine (or not readable). */
  engineNodesRssMiB: (number | null)[]
  /** This process: the benchmark's workers and driver. */
  workersRssMiB: number | null
  /** Sum over PostgreSQL's processes of their proportional set size (RSS would count shared buffers once per backend). */
  postgresPssMiB: number | null
  postgresProcesses: number
}

export async function sampleMemory(config: Config): Promise<MemorySample> {
  // The status already read each node's resident memory.
  const nodes = await clusterStatus(config).catch(() => [])
  const pg = await postgresPids()
  let postgres = 0
  for (const pid of pg) postgres += (await memoryOf(pid))?.pss ?? 0
  return {
    engineNodesRssMiB: nodes.map((node) => (node.residentKiB === undefined ? null : node.residentKiB / 1024)),
    workersRssMiB: process.memoryUsage.rss() / 1024 / 1024,
    postgresPssMiB: pg.length ? postgres : null,
    postgresProcesses: pg.length,
  }
}

/** Samples every `everyMs` until stopped; returns the peak of each figure. */
export function memoryPeaks(config: Config, everyMs = 3000) {
  const peak: MemorySample = { engineNodesRssMiB: [], workersRssMiB: null, postgresPssMiB: null, postgresProcesses: 0 }
  const take = async () => {
    const sample = await sampleMemory(config)
    sample.engineNodesRssMiB.forEach((value, i) => {
      if (peak.engineNodesRssMiB[i] === undefined || (value !== null && value > (peak.engineNodesRssMiB[i] ?? -1))) peak.engineNodesRssMiB[i] = value
    })
    for (const field of ['workersRssMiB', 'postgresPssMiB', 'postgresProcesses'] as const) {
      const value = sample[field]
      if (value !== null && (peak[field] === null || value > (peak[field] as number))) (peak as unknown as Record<string, number>)[field] = value
    }
  }
  let chain = take()
  const timer = setInterval(() => {
    chain = chain.then(take, take)
  }, everyMs)
  return {
    async stop(): Promise<MemorySample> {
      clearInterval(timer)
      await chain.catch(() => undefined)
      await take()
      return peak
    },
  }
}
