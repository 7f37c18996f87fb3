// The clock is the connector SDK's (connectors take one too, and the SDK stands alone); core code imports it here.
export { type Clock, fixedClock, systemClock } from '../../connectors/sdk/clock';
