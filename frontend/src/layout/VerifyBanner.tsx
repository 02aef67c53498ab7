import { resendOutcome, useResendVerification } from "../account/useResendVerification";
import { useMe } from "../account/useMe";
import { Button } from "../components/Button";

/** Until the address is confirmed: why sending is refused, and a way to get a new link. */
export function VerifyBanner() {
  const me = useMe();
  const resend = useResendVerification();
  if (me.data === undefined || me.data.email_verified) return null;
  return (
    <section className="verify-banner" aria-labelledby="verify-banner-title">
      <p>
        <strong id="verify-banner-title">Confirm your address.</strong> We emailed a link to{" "}
        {me.data.email}: until you follow it, you cannot send email.
      </p>
      <Button busy={resend.isPending} onClick={() => { resend.mutate(); }}>
        Send a new link
      </Button>
      <span role="status">
        {resend.isSuccess && resend.data.message}
        {resend.isError && resendOutcome(resend.error)}
      </span>
    </section>
  );
}
