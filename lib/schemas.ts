/** JSON schemas of process variables that more than one worker reads. */

/** Order numbers as the processes use them: CO-2026-000123 (contract), SO-2026-000124 (shop). */
export const orderNumberPattern = '^[A-Z]{2}-[0-9]{4}-[0-9]{4,}$'

/** An amount given as text, as `toCents` reads it: "129.50" (at most two decimals). A number needs no pattern. */
export const amountPattern = '^\\s*-?[0-9]+(\\.[0-9]{1,2})?\\s*$'

/** `returnRequest` as return-refund carries it (D3 退货 1); workers may add fields of their own. */
export const returnRequestSchema = {
  type: 'object',
  required: ['returnNumber', 'orderNumber'],
  properties: {
    returnNumber: { type: 'string', minLength: 1 },
    orderNumber: { type: 'string', minLength: 1 },
    items: { type: ['array', 'null'] },
    reason: { type: ['string', 'null'] },
    reasonKind: { type: ['string', 'null'] },
  },
} as const
