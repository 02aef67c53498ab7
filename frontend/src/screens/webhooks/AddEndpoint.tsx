import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import type { CreatedWebhookEndpoint } from "../../api/types";
import { EndpointForm } from "./EndpointForm";
import { endpointValues } from "./endpointValues";

export function AddEndpoint({ onCreated }: { onCreated: (endpoint: CreatedWebhookEndpoint) => void }) {
  const queryClient = useQueryClient();
  const [formKey, setFormKey] = useState(0);
  return (
    <EndpointForm
      key={formKey}
      initial={endpointValues()}
      submitLabel="Add endpoint"
      save={(body) => data(api.POST("/api/webhooks", { body }))}
      onSaved={async (endpoint) => {
        onCreated(endpoint);
        setFormKey((key) => key + 1); // a fresh, empty form
        await queryClient.invalidateQueries({ queryKey: ["webhooks"] });
      }}
    />
  );
}
