/* No `assignable_scopes`: the provider makes the role assignable at its `scope`,
   so RL101 (no assignable scopes) must not fire. */
resource "azurerm_role_definition" "vm_restarter" {
  name  = "VM Restarter"
  scope = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-vms"

  permissions {
    actions = [
      "Microsoft.Compute/virtualMachines/read",
      "Microsoft.Compute/virtualMachines/restart/action",
      "Microsoft.Compute/virtualMachines/*/action",
    ]
  }
}
